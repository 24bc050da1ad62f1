using Azure;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>A member as stored: profile, account and the ETag that guards the next write.</summary>
public sealed record StoredMember(MemberId Id, MemberProfile Profile, Account Account, ETag ETag);

/// <summary>The idempotency key of an operation on a member: its kind (purchase, return, …) and the caller's id.
/// The operation's row in the member's partition is keyed by it, so a second delivery finds the first.</summary>
public readonly record struct OperationKey(string Kind, OperationId Id)
{
    internal string RowKey => $"{MemberRows.OperationPrefix}{Kind}|{Id.Value}";
}

/// <summary>What an operation decided, given the member as stored.</summary>
/// <typeparam name="T">The result returned to the caller; stored with the operation so a replay returns it unchanged.</typeparam>
public sealed record Decision<T>
{
    private Decision(Posting? posting, T? result, string? rejection, object? details) =>
        (Posting, Result, Rejection, Details) = (posting, result, rejection, details);

    public Posting? Posting { get; }

    public T? Result { get; }

    /// <summary>Why the operation cannot be done (a problem slug such as <c>insufficient-points</c>); nothing is written.</summary>
    public string? Rejection { get; }

    /// <summary>Facts about the operation that later operations read back (e.g. a purchase's amount for returns).</summary>
    public object? Details { get; }

    public static Decision<T> Commit(Posting posting, T result, object? details = null) => new(posting, result, null, details);

    public static Decision<T> Reject(string problem) => new(null, default, problem, null);
}

public enum OperationStatus
{
    /// <summary>Done now.</summary>
    Created,

    /// <summary>Done before with the same request: <see cref="OperationResult{T}.Value"/> is the first result.</summary>
    Replayed,

    /// <summary>The id was used before for a different request.</summary>
    Conflict,

    MemberNotFound,

    /// <summary>The decision refused it; <see cref="OperationResult{T}.Rejection"/> says why.</summary>
    Rejected,
}

public sealed record OperationResult<T>(OperationStatus Status, T? Value = default, string? Rejection = null);

/// <summary>An operation row read back: the request fingerprint, the result, and the details it recorded.</summary>
public sealed record StoredOperation(OperationKey Key, string RequestHash, string ResultJson, string? DetailsJson, IReadOnlyList<long> Entries);

/// <summary>Thrown when a member's partition stayed contended through every retry: a transient failure.</summary>
public sealed class ConcurrencyExhaustedException(MemberId id, int attempts)
    : Exception($"Member {id.Value} changed under {attempts} consecutive attempts.");
