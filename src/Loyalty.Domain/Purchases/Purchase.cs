using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Purchases;

/// <summary>A validated purchase, as the storefront or order system reported it.</summary>
public sealed record Purchase(
    OperationId PurchaseId,
    MemberId MemberId,
    Money Amount,
    DateTimeOffset OccurredAt,
    string? StoreId,
    IReadOnlyList<PurchaseLine> Lines);

public sealed record PurchaseLine(string Sku, string? Category, decimal Quantity, decimal Amount);

/// <summary>What a purchase brought: the posting to store, and what returns will need to know about it.</summary>
/// <param name="PointsEarned">Earned and bonus points together.</param>
/// <param name="ReversibleBonus">The bonus points a return takes back in proportion (promotions, big order).</param>
/// <param name="Vouchers">Rewards given as free vouchers by spend-threshold rules.</param>
public sealed record PurchaseOutcome(
    Posting Posting,
    Points PointsEarned,
    Points BaseEarned,
    Points ReversibleBonus,
    decimal Spend,
    bool FirstPurchase,
    IReadOnlyList<GrantedVoucher> Vouchers);

/// <summary>A reward a rule gave for free, with its voucher code.</summary>
public sealed record GrantedVoucher(string Rule, string RewardId, string Code);
