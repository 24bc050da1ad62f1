using Azure;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;

namespace Loyalty.Adapters.Storage;

/// <summary>A member as stored: profile, account and the ETag that guards the next write. An erased member keeps
/// the anonymised account for accounting; their personal data is gone.</summary>
public sealed record StoredMember(MemberId Id, MemberProfile Profile, Account Account, ETag ETag, DateTimeOffset? ErasedAt = null)
{
    public bool IsErased => ErasedAt is not null;
}

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
    private Decision(Posting? posting, T? result, string? rejection, object? details, object? relatedDetails) =>
        (Posting, Result, Rejection, Details, RelatedDetails) = (posting, result, rejection, details, relatedDetails);

    public Posting? Posting { get; }

    public T? Result { get; }

    /// <summary>Why the operation cannot be done (a problem slug such as <c>insufficient-points</c>); nothing is written.</summary>
    public string? Rejection { get; }

    /// <summary>Facts about the operation that later operations read back (e.g. a purchase's amount for returns).</summary>
    public object? Details { get; }

    /// <summary>New details for the related operation (e.g. the purchase a return returns), written in the same
    /// transaction under that row's ETag.</summary>
    public object? RelatedDetails { get; }

    public static Decision<T> Commit(Posting posting, T result, object? details = null, object? relatedDetails = null) =>
        new(posting, result, null, details, relatedDetails);

    public static Decision<T> Reject(string problem) => new(null, default, problem, null, null);
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

    /// <summary>The operation it depends on (e.g. the purchase of a return) does not exist.</summary>
    RelatedNotFound,
}

/// <param name="Stored">On a replay, the operation row it was answered from (its details, without reading it again).</param>
public sealed record OperationResult<T>(OperationStatus Status, T? Value = default, string? Rejection = null, StoredOperation? Stored = null);

/// <summary>What to do with a profile change, given the member as stored: store this profile, or refuse.</summary>
public sealed record ProfileDecision(MemberProfile? Profile, string? Refusal)
{
    public static ProfileDecision Store(MemberProfile profile) => new(profile, null);

    public static ProfileDecision Refuse(string refusal) => new(null, refusal);
}

/// <summary>The outcome of saving a profile: created or updated (<see cref="Member"/> is the member after), or refused.</summary>
public sealed record ProfileSave(bool Created, StoredMember? Member, string? Refusal);

/// <summary>An operation row read back: the request fingerprint, the result, and the details it recorded.</summary>
public sealed record StoredOperation(OperationKey Key, string RequestHash, string ResultJson, string? DetailsJson, IReadOnlyList<long> Entries, ETag ETag)
{
    public TDetails? Details<TDetails>() => DetailsJson is null ? default : System.Text.Json.JsonSerializer.Deserialize<TDetails>(DetailsJson, System.Text.Json.JsonSerializerOptions.Web);

    public TResult? Result<TResult>() => System.Text.Json.JsonSerializer.Deserialize<TResult>(ResultJson, System.Text.Json.JsonSerializerOptions.Web);
}

/// <summary>Thrown when a member's partition stayed contended through every retry: a transient failure.</summary>
public sealed class ConcurrencyExhaustedException(MemberId id, int attempts)
    : Exception($"Member {id.Value} changed under {attempts} consecutive attempts.");
