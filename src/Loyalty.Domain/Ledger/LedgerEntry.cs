namespace Loyalty.Domain.Ledger;

/// <summary>What a ledger entry records. The API shows these in lower case.</summary>
public enum LedgerKind
{
    Earn,
    Bonus,
    Redeem,
    Reverse,
    Expire,
    Adjust,

    /// <summary>A tier change: visible in the ledger, moves no points.</summary>
    Tier,

    /// <summary>Points paid for an order at a till (a captured hold).</summary>
    Burn,
}

/// <summary>One line of a member's append-only ledger. <see cref="Seq"/> numbers a member's entries from 1.</summary>
/// <param name="Reference">The operation that produced the entry: a purchase, redemption, return or adjustment id.</param>
/// <param name="Note">Why: the rule behind a bonus, the reason of an adjustment, the tier reached.</param>
public sealed record LedgerEntry(
    long Seq,
    LedgerKind Kind,
    Points Points,
    Points BalanceAfter,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    string Reference,
    string? Note = null);
