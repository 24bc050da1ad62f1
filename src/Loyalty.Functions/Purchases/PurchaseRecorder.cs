using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Domain.Purchases;
using Loyalty.Domain.Rules;
using Loyalty.Functions.Http;
using Loyalty.Functions.Rewards;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Purchases;

/// <summary>Validates and records purchases the same way whichever path they arrive by (HTTP, Storage queue,
/// Service Bus), so that one order delivered on two paths is credited once.</summary>
public sealed class PurchaseRecorder(MemberStore store, ProgramDefinition program, TimeProvider time, VoucherCodes vouchers, LoyaltyMetrics metrics)
{
    public const string OperationKind = "purchase";
    public const string ReferralKind = "referral";

    public Purchase? Validate(PurchaseRequest request, Validator v) => request.ToPurchase(v, program, time.GetUtcNow());

    public async Task<OperationResult<PurchaseResult>> RecordAsync(Purchase purchase, CancellationToken ct)
    {
        var key = new OperationKey(OperationKind, purchase.PurchaseId);
        PurchaseDetails? recorded = null;
        var result = await store.ExecuteAsync(purchase.MemberId, key, Fingerprint(purchase), member =>
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(member.Profile.TimeZone);
            var outcome = Earning.Record(program, member.Account, purchase, zone, time.GetUtcNow(), vouchers.Next);
            var account = outcome.Posting.Account;
            recorded = new PurchaseDetails(
                new PurchaseRecord(purchase.Amount.Amount, purchase.Amount.Currency.Code, purchase.OccurredAt, outcome.BaseEarned.Value, outcome.ReversibleBonus.Value, outcome.Spend),
                outcome.FirstPurchase ? member.Profile.ReferredBy?.Value : null);
            var result = new PurchaseResult(
                purchase.PurchaseId.Value, purchase.MemberId.Value, outcome.PointsEarned.Value, account.Balance.Value, program.Tiers.Shown(account.Tier),
                [.. outcome.Vouchers.Select(v => new VoucherResult(v.RewardId, v.Code, v.Rule))]);
            return Decision<PurchaseResult>.Commit(outcome.Posting, result, recorded);
        }, ct);

        // Only the first recording counts: a replay (the same order on another path, a redelivery) changes nothing.
        if (result is { Status: OperationStatus.Created, Value: { } first })
        {
            metrics.PurchaseRecorded(first.PointsEarned);
        }

        // The referrer's bonus is a second operation in the referrer's partition, idempotent by the referred member,
        // so a replay of the purchase (the client's retry after a failure here) completes it.
        if (result.Status is OperationStatus.Replayed)
        {
            recorded = result.Stored?.Details<PurchaseDetails>();
        }

        if (result.Status is OperationStatus.Created or OperationStatus.Replayed && recorded?.ReferredBy is { } referrer)
        {
            await CreditReferrerAsync(MemberId.Parse(referrer), purchase.MemberId, ct);
        }

        return result;
    }

    private async Task CreditReferrerAsync(MemberId referrer, MemberId referred, CancellationToken ct)
    {
        if (program.Bonuses.Referral is not { } bonus)
        {
            return;
        }

        // A referrer who was erased or never existed gets nothing; the purchase stands either way.
        await store.ExecuteAsync(referrer, new OperationKey(ReferralKind, OperationId.Parse(referred.Value)), "referral", member =>
        {
            var now = time.GetUtcNow();
            var posting = new Posting(member.Account, now);
            var points = new Points(bonus.Points);
            posting.Credit(LedgerKind.Bonus, points, program.Points.ExpiryFor(now), now, referred.Value, "referral");
            posting.Update(a => a.WithActivity(now, 0, bonus.Points, DateOnly.FromDateTime(now.UtcDateTime)) with { Lifetime = a.Lifetime + points });
            return Decision<long>.Commit(posting, bonus.Points);
        }, ct);
    }

    /// <summary>A fingerprint of what the purchase says, so that a replay can be told from a different purchase
    /// reusing the id. Equal amounts written differently (10 and 10.00) and equal instants in different offsets
    /// count as the same.</summary>
    public static string Fingerprint(Purchase p)
    {
        var text = new StringBuilder()
            .Append(p.PurchaseId.Value).Append('\n')
            .Append(p.MemberId.Value).Append('\n')
            .Append(Canonical(p.Amount.Amount)).Append(' ').Append(p.Amount.Currency.Code).Append('\n')
            .Append(p.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(p.StoreId).Append('\n');
        foreach (var line in p.Lines)
        {
            text.Append(line.Sku).Append('\t').Append(line.Category).Append('\t')
                .Append(Canonical(line.Quantity)).Append('\t').Append(Canonical(line.Amount)).Append('\n');
        }

        return Fingerprints.Of(text.ToString());
    }

    private static string Canonical(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}

/// <summary>Request fingerprints for idempotency checks.</summary>
public static class Fingerprints
{
    public static string Of(string canonical) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
}
