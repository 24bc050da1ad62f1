using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Program;
using Loyalty.Domain.Purchases;
using Loyalty.Functions.Http;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Purchases;

/// <summary>Validates and records purchases the same way whichever path they arrive by (HTTP, Storage queue,
/// Service Bus), so that one order delivered on two paths is credited once.</summary>
public sealed class PurchaseRecorder(MemberStore store, ProgramDefinition program, TimeProvider time, LoyaltyMetrics metrics)
{
    public const string OperationKind = "purchase";

    public Purchase? Validate(PurchaseRequest request, Validator v) => request.ToPurchase(v, program, time.GetUtcNow());

    public async Task<OperationResult<PurchaseResult>> RecordAsync(Purchase purchase, CancellationToken ct)
    {
        var result = await store.ExecuteAsync(
            purchase.MemberId,
            new OperationKey(OperationKind, purchase.PurchaseId),
            Fingerprint(purchase),
            member =>
            {
                var outcome = Earning.Record(program, member.Account, purchase, time.GetUtcNow());
                var account = outcome.Posting.Account;
                var result = new PurchaseResult(purchase.PurchaseId.Value, purchase.MemberId.Value, outcome.PointsEarned.Value, account.Balance.Value, account.Tier);
                var details = new PurchaseDetails(purchase.Amount.Amount, purchase.Amount.Currency.Code, purchase.OccurredAt, outcome.PointsEarned.Value);
                return Decision<PurchaseResult>.Commit(outcome.Posting, result, details);
            },
            ct);

        // Only the first recording counts: a replay (the same order on another path, a redelivery) changes nothing.
        if (result is { Status: OperationStatus.Created, Value: { } recorded })
        {
            metrics.PurchaseRecorded(recorded.PointsEarned);
        }

        return result;
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

        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Canonical(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
