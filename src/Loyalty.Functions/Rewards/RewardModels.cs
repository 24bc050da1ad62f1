using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;

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
    [property: ValuesOf(typeof(RewardKind))] string Kind,
    string? MinTier,
    int? Stock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Affordable = null);

/// <summary>The body of <c>POST /api/members/{memberId}/redemptions</c>.</summary>
public sealed record RedemptionRequest([property: Required] string? RedemptionId, [property: Required] string? RewardId);

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
    [property: AllowedValues("active", "cancelled")] string Status,
    DateTimeOffset? CancelledAt);
