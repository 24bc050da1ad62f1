using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Purchases;

/// <summary>Validates and records purchases the same way whichever path they arrive by (HTTP, Storage queue,
/// Service Bus), so that one order delivered on two paths is credited once, and to one member.</summary>
public sealed class PurchaseRecorder(MemberStore store, ProgramDefinition program, TimeProvider time, LoyaltyMetrics metrics)
{
    public Purchase? Validate(PurchaseRequest request, Validator v) => request.ToPurchase(v, program, time.GetUtcNow());

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

        return result;
    }
}
