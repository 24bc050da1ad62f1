using System.Text.Json.Serialization;

namespace Loyalty.Functions.Rewards;

/// <summary>A reward of the catalog as <c>GET /api/rewards</c> shows it.</summary>
/// <param name="Name">In the requested locale, else the member's, falling back to <c>en</c>.</param>
/// <param name="Kind">voucher, discount, gift or charity.</param>
/// <param name="MinTier">The lowest tier that may redeem it; null for everyone.</param>
/// <param name="Stock">Units left; null when unlimited.</param>
/// <param name="Affordable">Only with <c>?memberId=</c>: whether that member's balance and tier allow it now.</param>
public sealed record RewardResponse(
    string Id,
    string Name,
    long PointsCost,
    string Kind,
    string? MinTier,
    int? Stock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Affordable = null);

/// <summary>The body of <c>POST /api/members/{memberId}/redemptions</c>.</summary>
public sealed record RedemptionRequest(string? RedemptionId, string? RewardId);

/// <summary>What a redemption gives back, first time and on every replay (the same voucher code).</summary>
/// <param name="RewardName">In the member's locale at the time of the redemption.</param>
/// <param name="VoucherCode">The code the member shows or quotes: for a charity donation, the donation's reference.</param>
/// <param name="Balance">The balance right after the redemption.</param>
public sealed record RedemptionResult(
    string RedemptionId,
    string MemberId,
    string RewardId,
    string RewardName,
    string Kind,
    string VoucherCode,
    long PointsSpent,
    long Balance,
    DateTimeOffset RedeemedAt);

/// <summary>What a cancellation gives back, first time and on every replay.</summary>
/// <param name="RestoredLots">The points put back, each with the expiry it had before it was spent.</param>
public sealed record CancellationResult(
    string RedemptionId,
    string MemberId,
    string RewardId,
    long PointsRestored,
    long Balance,
    DateTimeOffset CancelledAt,
    IReadOnlyList<LotRecord> RestoredLots);

/// <summary>A redemption as support staff see it.</summary>
/// <param name="Status">active or cancelled.</param>
public sealed record RedemptionView(
    string RedemptionId,
    string RewardId,
    string RewardName,
    string Kind,
    string VoucherCode,
    long PointsSpent,
    DateTimeOffset RedeemedAt,
    string Status,
    DateTimeOffset? CancelledAt);

/// <summary>Points that expire together (null: never).</summary>
public sealed record LotRecord(DateOnly? ExpiresOn, long Points);

/// <summary>Facts of a redemption kept on its operation row: the lots it consumed (so that a cancellation restores their
/// expiry) and, once cancelled, when.</summary>
public sealed record RedemptionDetails(
    string RewardId,
    string VoucherCode,
    long PointsSpent,
    IReadOnlyList<LotRecord> Consumed,
    DateTimeOffset RedeemedAt,
    DateTimeOffset? CancelledAt = null);
