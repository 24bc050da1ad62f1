using System.Text.Json;
using Azure;
using Loyalty.Adapters.Json;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;

namespace Loyalty.Adapters.Storage;

/// <summary>A member as stored: the domain's member and the ETag that guards the next write.</summary>
/// <param name="Hints">The index hints that lead to the person (phone, birthday) this member ever had written, as
/// <c>table:partition</c>: erasure deletes each of them, whatever the profile says by then.</param>
/// <param name="EventSeq">The sequence number of the member's last event (0 before the first): each change's events
/// continue it, in the change's transaction.</param>
public sealed record StoredMember(
    MemberId Id,
    MemberProfile Profile,
    Account Account,
    ETag ETag,
    DateTimeOffset? ErasedAt = null,
    IReadOnlySet<string>? Hints = null,
    long EventSeq = 0)
    : Member(Id, Profile, Account, ErasedAt)
{
    public IReadOnlySet<string> PersonalHints => Hints ?? new HashSet<string>();
}

public enum OperationStatus
{
    /// <summary>Done now.</summary>
    Created,

    /// <summary>Done before with the same request: <see cref="OperationResult{T}.Value"/> is the first result.</summary>
    Replayed,

    /// <summary>The id was used before for a different request (or, for an id unique in the program, by another member).</summary>
    Conflict,

    MemberNotFound,

    /// <summary>The rules refused it; <see cref="OperationResult{T}.Refusal"/> says why.</summary>
    Refused,

    /// <summary>The operation it refers to (the purchase of a return) does not exist.</summary>
    RelatedNotFound,
}

/// <param name="Member">The member as the deciding attempt read them (after the change, when it was made now).</param>
/// <param name="Stored">On a replay, the operation row it was answered from.</param>
/// <param name="Record">When made now, the record the operation keeps (on a replay, see <see cref="RecordAs{TRecord}"/>).</param>
public sealed record OperationResult<T>(
    OperationStatus Status, T? Value = default, Refusal? Refusal = null, StoredMember? Member = null, StoredOperation? Stored = null, object? Record = null)
{
    /// <summary>When made now, the transactional messages it planned in its transaction (their send jobs are not on the
    /// queue yet: the caller enqueues them, or the reconciliation does).</summary>
    public IReadOnlyList<OutboxRow> Planned { get; init; } = [];

    /// <summary>The record the operation keeps, whether it was made now or replayed.</summary>
    public TRecord? RecordAs<TRecord>() => Record is TRecord record ? record : Stored is { } stored ? stored.Record<TRecord>() : default;
}

/// <summary>The outcome of saving a profile: created or updated (<see cref="Member"/> is the member after), or refused.</summary>
public sealed record ProfileSave(bool Created, StoredMember? Member, Refusal? Refusal);

/// <summary>An operation row read back: the request fingerprint, the result, and the record it keeps.</summary>
public sealed record StoredOperation(OperationKey Key, string RequestHash, string ResultJson, string? RecordJson, IReadOnlyList<long> Entries, ETag ETag)
{
    public static readonly JsonSerializerOptions Json = StorageJson.Web;

    public TRecord? Record<TRecord>() => RecordJson is null ? default : JsonSerializer.Deserialize(RecordJson, Json.For<TRecord>());

    public object? Record(Type type) => RecordJson is null ? null : JsonSerializer.Deserialize(RecordJson, Json.GetTypeInfo(type));

    public TResult? Result<TResult>() => JsonSerializer.Deserialize(ResultJson, Json.For<TResult>());
}
