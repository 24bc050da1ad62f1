using System.Globalization;
using System.Text.Json;
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
    IReadOnlyDictionary<string, object?> Sections)
{
    public static MemberExport From(MemberPartition partition, ProgramDefinition program, IReadOnlyDictionary<string, object?> sections, DateTimeOffset now) => new(
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

/// <param name="Entries">The sequence numbers of the ledger entries the operation made.</param>
public sealed record OperationExport(string Kind, string Id, DateTimeOffset? RecordedAt, JsonElement? Result, JsonElement? Details, IReadOnlyList<string> Entries)
{
    public static OperationExport From(PartitionOperation o) => new(
        o.Operation.Key.Kind,
        o.Operation.Key.Id.Value,
        o.RecordedAt,
        Parse(o.Operation.ResultJson),
        Parse(o.Operation.RecordJson),
        [.. o.Operation.Entries.Select(e => e.ToString(CultureInfo.InvariantCulture))]);

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
