namespace Loyalty.Domain.Ledger;

/// <summary>Points that expire together. Credits that expire on the same day share one lot;
/// <see cref="ExpiresOn"/> is null for points that never expire.</summary>
public sealed record Lot(DateOnly? ExpiresOn, Points Remaining)
{
    /// <summary>Orders lots the way debits consume them: soonest expiry first, never-expiring last.</summary>
    public static int CompareByExpiry(Lot a, Lot b) => (a.ExpiresOn, b.ExpiresOn) switch
    {
        (null, null) => 0,
        (null, _) => 1,
        (_, null) => -1,
        var (x, y) => x.Value.CompareTo(y.Value),
    };
}
