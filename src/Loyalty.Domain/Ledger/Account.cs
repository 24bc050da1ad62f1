using System.Collections.Immutable;

namespace Loyalty.Domain.Ledger;

/// <summary>A member's points as the ledger leaves them: the open lots and any debt (a negative balance left by
/// a return after the points were spent), and the counters the rules read. The balance is derived, so it
/// always equals the sum of the ledger.</summary>
public sealed record Account
{
    public required DateTimeOffset EnrolledAt { get; init; }

    /// <summary>Points credited by earning and bonuses, less reversals of them. Never reduced by spending or expiry.</summary>
    public Points Lifetime { get; init; }

    public string? Tier { get; init; }

    public DateTimeOffset? LastPurchaseAt { get; init; }

    public int PurchaseCount { get; init; }

    /// <summary>Sequence number of the newest ledger entry (0 when the ledger is empty).</summary>
    public long LastSeq { get; init; }

    /// <summary>Open lots, soonest expiry first; none is empty.</summary>
    public ImmutableList<Lot> Lots { get; init; } = [];

    /// <summary>Points owed: debits that found no lots to consume. Positive only when <see cref="Lots"/> is empty.</summary>
    public Points Debt { get; init; }

    public Points Balance => Lots.Aggregate(-Debt, (sum, lot) => sum + lot.Remaining);

    /// <summary>The lot that expires next, if any.</summary>
    public Lot? NextExpiring => Lots.FirstOrDefault(l => l.ExpiresOn is not null);

    /// <summary>Adds points: they first pay off any debt, the rest goes into the lot for <paramref name="expiresOn"/>.</summary>
    public Account Credit(Points points, DateOnly? expiresOn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points.Value);
        var repaid = Points.Min(points, Debt);
        var rest = points - repaid;
        var lots = Lots;
        if (rest > Points.Zero)
        {
            var existing = lots.Find(l => l.ExpiresOn == expiresOn);
            lots = existing is null
                ? lots.Add(new Lot(expiresOn, rest)).Sort(Lot.CompareByExpiry)
                : lots.Replace(existing, existing with { Remaining = existing.Remaining + rest });
        }

        return this with { Debt = Debt - repaid, Lots = lots };
    }

    /// <summary>Takes points from the lots, soonest expiry first. What the lots cannot cover becomes debt.
    /// Returns the new account and the parts of each lot that were consumed.</summary>
    public (Account Account, IReadOnlyList<Lot> Consumed) Debit(Points points)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points.Value);
        var remaining = points;
        var consumed = new List<Lot>();
        var lots = ImmutableList.CreateBuilder<Lot>();
        foreach (var lot in Lots)
        {
            var take = Points.Min(lot.Remaining, remaining);
            remaining -= take;
            if (take > Points.Zero)
            {
                consumed.Add(lot with { Remaining = take });
            }

            if (lot.Remaining > take)
            {
                lots.Add(lot with { Remaining = lot.Remaining - take });
            }
        }

        return (this with { Lots = lots.ToImmutable(), Debt = Debt + remaining }, consumed);
    }
}
