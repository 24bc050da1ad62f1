using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Members;
using Loyalty.Functions.Rewards;

namespace Loyalty.Functions.Privacy;

/// <summary>Everything stored about a member (<c>GET /api/members/{id}/export</c>).</summary>
/// <param name="Member">The profile and points as <c>GET /api/members/{id}</c> shows them.</param>
/// <param name="Account">The account in full: lots, counters, monthly activity, granted rewards.</param>
/// <param name="Ledger">Every ledger entry, oldest first.</param>
/// <param name="Redemptions">Every redemption with its voucher code and status, newest first.</param>
/// <param name="Operations">Every operation recorded for the member (purchases, redemptions, cancellations, returns,
/// adjustments, …) with the result and the details as stored.</param>
/// <param name="Events">The member's events still kept in the outbox (ids and figures only), oldest first.</param>
/// <param name="Consent">The member's SMS consent record, oldest first: every change (and every STOP, START or YES)
/// with when, the channel, the actor and the wording shown.</param>
/// <param name="OtherRows">Any other row in the member's partition, as stored.</param>
/// <param name="Sections">What other stores hold about the member (<see cref="IPersonalDataSource"/>; the outreach
/// history joins here), keyed by section name.</param>
public sealed record MemberExport(
    DateTimeOffset ExportedAt,
    MemberResponse Member,
    AccountExport Account,
    IReadOnlyList<LedgerEntryResponse> Ledger,
    IReadOnlyList<RedemptionView> Redemptions,
    IReadOnlyList<OperationExport> Operations,
    IReadOnlyList<EventExport> Events,
    IReadOnlyList<ConsentRecord> Consent,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> OtherRows,
    IReadOnlyDictionary<string, JsonNode?> Sections)
{
    public static MemberExport From(MemberPartition partition, ProgramDefinition program, IReadOnlyDictionary<string, JsonNode?> sections, DateTimeOffset now) => new(
        now,
        MemberResponse.From(partition.Member, program, now),
        AccountExport.From(partition.Member.Account),
        [.. partition.Ledger.Select(LedgerEntryResponse.From)],
        [.. partition.Operations
            .Where(o => o.Operation.Key.Kind == OperationKinds.Redemption)
            .Select(o => RedemptionRecorder.View(o.Operation))
            .OrderByDescending(r => r.RedeemedAt)],
        [.. partition.Operations.Select(OperationExport.From)],
        [.. partition.Events.Select(e => new EventExport(e.Id, e.Type, e.Time, System.Text.Json.JsonDocument.Parse(e.DataJson).RootElement))],
        partition.Consents,
        partition.OtherRows,
        sections);
}

/// <summary>An event of the member as the outbox keeps it.</summary>
public sealed record EventExport(string Id, string Type, DateTimeOffset Time, System.Text.Json.JsonElement Data);

public sealed record AccountExport(
    DateTimeOffset EnrolledAt,
    long Balance,
    long Lifetime,
    long Debt,
    long Owed,
    string? Tier,
    DateOnly? TierReviewOn,
    int PurchaseCount,
    DateTimeOffset? LastPurchaseAt,
    IReadOnlyList<LotRecord> Lots,
    IReadOnlyDictionary<string, MonthExport> Months,
    IReadOnlyList<Grant> Grants,
    IReadOnlyList<Voucher> Vouchers,
    IReadOnlyList<Hold> Holds,
    IReadOnlyList<PendingPoints> Pending)
{
    public static AccountExport From(Account a) => new(
        a.EnrolledAt,
        a.Balance.Value,
        a.Lifetime.Value,
        a.Debt.Value,
        a.Owed.Value,
        a.Tier,
        a.TierReviewOn,
        a.PurchaseCount,
        a.LastPurchaseAt,
        [.. a.Lots.Select(l => new LotRecord(l.ExpiresOn, l.Remaining.Value))],
        a.Months.ToDictionary(m => m.Key.ToString(), m => new MonthExport(m.Value.Spend, m.Value.Points)),
        a.Grants,
        a.Vouchers,
        a.Holds,
        a.Pending);
}

/// <param name="Spend">Base points of purchases in the month (amount × points per unit).</param>
public sealed record MonthExport(decimal Spend, long Points);

/// <summary>An operation recorded for the member, typed by its <c>kind</c>: <c>result</c> is the answer its request got,
/// and <c>details</c> (purchases, holds, redemptions) the facts kept with it, as they are now (a return updates its
/// purchase's, a capture or release its hold's, a cancellation its redemption's).</summary>
/// <param name="Entries">The sequence numbers of the ledger entries the operation made.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(PurchaseOperation), OperationKinds.Purchase)]
[JsonDerivedType(typeof(ReturnOperation), OperationKinds.Return)]
[JsonDerivedType(typeof(AdjustmentOperation), OperationKinds.Adjustment)]
[JsonDerivedType(typeof(RedemptionOperation), OperationKinds.Redemption)]
[JsonDerivedType(typeof(CancellationOperation), OperationKinds.Cancellation)]
[JsonDerivedType(typeof(ReferralOperation), OperationKinds.Referral)]
[JsonDerivedType(typeof(BirthdayOperation), OperationKinds.Birthday)]
[JsonDerivedType(typeof(ExpiryOperation), OperationKinds.Expiry)]
[JsonDerivedType(typeof(TierReviewOperation), OperationKinds.TierReview)]
[JsonDerivedType(typeof(HoldOperation), OperationKinds.Hold)]
[JsonDerivedType(typeof(CaptureOperation), OperationKinds.Capture)]
[JsonDerivedType(typeof(ReleaseOperation), OperationKinds.Release)]
[JsonDerivedType(typeof(VoucherUseOperation), OperationKinds.VoucherUse)]
[JsonDerivedType(typeof(ImportOperation), OperationKinds.Import)]
public abstract record OperationExport(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries)
{
    public static OperationExport From(PartitionOperation o)
    {
        var stored = o.Operation;
        var (id, at) = (stored.Key.Id.Value, o.RecordedAt);
        IReadOnlyList<string> entries = [.. stored.Entries.Select(e => e.ToString(CultureInfo.InvariantCulture))];
        return stored.Key.Kind switch
        {
            OperationKinds.Purchase => new PurchaseOperation(id, at, entries, stored.Result<PurchaseResult>()!, stored.Record<PurchaseRecord>()),
            OperationKinds.Return => new ReturnOperation(id, at, entries, stored.Result<ReturnResult>()!),
            OperationKinds.Adjustment => new AdjustmentOperation(id, at, entries, stored.Result<AdjustmentResult>()!),
            OperationKinds.Redemption => new RedemptionOperation(id, at, entries, stored.Result<RedemptionResult>()!, stored.Record<RedemptionRecord>()),
            OperationKinds.Cancellation => new CancellationOperation(id, at, entries, stored.Result<CancellationResult>()!),
            OperationKinds.Referral => new ReferralOperation(id, at, entries, stored.Result<long>()),
            OperationKinds.Birthday => new BirthdayOperation(id, at, entries, stored.Result<long>()),
            OperationKinds.Expiry => new ExpiryOperation(id, at, entries, stored.Result<ExpiryResult>()!),
            OperationKinds.TierReview => new TierReviewOperation(id, at, entries, stored.Result<string>()),
            OperationKinds.Hold => new HoldOperation(id, at, entries, stored.Result<HoldResult>()!, stored.Record<HoldRecord>()),
            OperationKinds.Capture => new CaptureOperation(id, at, entries, stored.Result<HoldResult>()!),
            OperationKinds.Release => new ReleaseOperation(id, at, entries, stored.Result<HoldResult>()!),
            OperationKinds.VoucherUse => new VoucherUseOperation(id, at, entries, stored.Result<VoucherUseResult>()!),
            OperationKinds.Import => new ImportOperation(id, at, entries, stored.Result<ImportResult>()!),
            var kind => throw new InvalidOperationException($"The export has no type for operations of kind '{kind}': add one to OperationExport."),
        };
    }
}

public sealed record PurchaseOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, PurchaseResult Result, PurchaseRecord? Details) : OperationExport(Id, RecordedAt, Entries);

public sealed record ReturnOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, ReturnResult Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record AdjustmentOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, AdjustmentResult Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record RedemptionOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, RedemptionResult Result, RedemptionRecord? Details) : OperationExport(Id, RecordedAt, Entries);

public sealed record CancellationOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, CancellationResult Result) : OperationExport(Id, RecordedAt, Entries);

/// <param name="Result">The points the bonus credited.</param>
public sealed record ReferralOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, long Result) : OperationExport(Id, RecordedAt, Entries);

/// <param name="Result">The points the bonus credited.</param>
public sealed record BirthdayOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, long Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record ExpiryOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, ExpiryResult Result) : OperationExport(Id, RecordedAt, Entries);

/// <param name="Result">The tier the review left the member in.</param>
public sealed record TierReviewOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, string? Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record HoldOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, HoldResult Result, HoldRecord? Details) : OperationExport(Id, RecordedAt, Entries);

public sealed record CaptureOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, HoldResult Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record ReleaseOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, HoldResult Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record VoucherUseOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, VoucherUseResult Result) : OperationExport(Id, RecordedAt, Entries);

public sealed record ImportOperation(string Id, DateTimeOffset? RecordedAt, IReadOnlyList<string> Entries, ImportResult Result) : OperationExport(Id, RecordedAt, Entries);
