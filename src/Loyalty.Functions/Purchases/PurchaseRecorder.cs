using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Outreach;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Purchases;

/// <summary>Validates and records purchases the same way whichever path they arrive by (HTTP, Storage queue,
/// Service Bus), so that one order delivered on two paths is credited once, and to one member.</summary>
public sealed class PurchaseRecorder(MemberStore store, ProgramDefinition program, TimeProvider time, LoyaltyMetrics metrics, MemberMessages? messages = null)
{
    public Purchase? Validate(PurchaseRequest request, Validator v) => request.ToPurchase(v, program, time.GetUtcNow());

    /// <summary>What recording <paramref name="purchase"/> would give the member as stored now, decided by the same rule
    /// and written nowhere: no voucher code is drawn, no id is claimed.</summary>
    public QuoteResult Quote(StoredMember member, Purchase purchase, bool withId)
    {
        var now = time.GetUtcNow();
        var outcome = new RecordPurchase(purchase).Decide(member, null, new OperationContext(program, now, () => ""));
        var result = outcome.Result!;
        var bonuses = outcome.Posting!.Entries.Where(e => e.Kind == LedgerKind.Bonus && e.Points != Points.Zero).Select(e => new QuotedBonus(e.Note ?? "", e.Points.Value));
        var earned = outcome.Posting.Entries.Where(e => e.Kind == LedgerKind.Earn).Sum(e => e.Points.Value);
        return new QuoteResult(
            withId ? result.PurchaseId : null,
            result.MemberId,
            result.PointsEarned,
            earned,
            [.. bonuses],
            result.Balance,
            outcome.Posting.Account.AvailableAt(now).Value,
            result.Tier,
            [.. result.Vouchers.Select(v => new QuotedVoucher(v.RewardId, v.Rule))],
            result.PointsPending,
            result.AvailableAt);
    }

    public async Task<OperationResult<PurchaseResult>> RecordAsync(Purchase purchase, CancellationToken ct)
    {
        var result = await store.RunAsync(new RecordPurchase(purchase), ct);

        // Only the first recording counts: a replay (the same order on another path, a redelivery) changes nothing.
        if (result.Status == OperationStatus.Created)
        {
            metrics.PurchaseRecorded();
        }

        // The referrer's bonus is a second operation in the referrer's partition, idempotent by the referred member, so a
        // replay of the purchase (the client's retry after a failure here) completes it. The referrer is read from the
        // member's profile, never kept with the purchase: erasure must not leave it behind.
        if (result.Status is OperationStatus.Created or OperationStatus.Replayed
            && result.RecordAs<PurchaseRecord>() is { FirstPurchase: true }
            && result.Member?.Profile.ReferredBy is { } referrer
            && program.Bonuses.Referral is { } bonus)
        {
            // A referrer who was erased or never existed gets nothing; the purchase stands either way.
            var key = new OperationKey(OperationKinds.Referral, OperationId.Parse(purchase.MemberId.Value));
            await store.RunAsync(new CreditBonus(referrer, key, "referral", bonus.Points, purchase.MemberId.Value), ct);
        }

        // The thank-you and voucher notices were planned in the purchase's transaction; their send jobs go on the queue.
        if (messages is not null)
        {
            await messages.EnqueueAsync(result.Planned, ct);
        }

        return result;
    }
}

/// <summary>What recording a purchase would give now, in the purchase result's shape, with each bonus and its rule.</summary>
/// <param name="PurchaseId">The id, when the quote was asked with one.</param>
/// <param name="PointsEarned">Earned and bonus points together, as the purchase would answer.</param>
/// <param name="BasePoints">The points of the earn entry (rate and tier multiplier, per line).</param>
/// <param name="Bonuses">Each bonus entry the purchase would make, with the rule that gives it.</param>
/// <param name="Balance">The balance after it.</param>
/// <param name="Available">The available points after it (points inside the return window are pending).</param>
/// <param name="Vouchers">Vouchers a spend threshold would issue (their codes are drawn when the purchase is recorded).</param>
public sealed record QuoteResult(
    string? PurchaseId,
    string MemberId,
    long PointsEarned,
    long BasePoints,
    IReadOnlyList<QuotedBonus> Bonuses,
    long Balance,
    long Available,
    string? Tier,
    IReadOnlyList<QuotedVoucher> Vouchers,
    long PointsPending,
    DateTimeOffset? AvailableAt);

public sealed record QuotedBonus(string Rule, long Points);

public sealed record QuotedVoucher(string RewardId, string Rule);
