namespace Loyalty.Domain.Ledger;

/// <summary>Collects the ledger entries of one operation on one account, numbering them and keeping the
/// account in step, so that every entry's balance-after is exact. The caller stores the entries and the final
/// account in one transaction.</summary>
public sealed class Posting(Account start, DateTimeOffset recordedAt)
{
    private readonly List<LedgerEntry> entries = [];

    public Account Account { get; private set; } = start;

    public IReadOnlyList<LedgerEntry> Entries => entries;

    public DateTimeOffset RecordedAt { get; } = recordedAt;

    /// <summary>Points the entries of this posting add up to.</summary>
    public Points Net => entries.Aggregate(Points.Zero, (sum, e) => sum + e.Points);

    public LedgerEntry Credit(LedgerKind kind, Points points, DateOnly? expiresOn, DateTimeOffset occurredAt, string reference, string? note = null)
    {
        Account = Account.Credit(points, expiresOn);
        return Append(kind, points, occurredAt, reference, note);
    }

    public (LedgerEntry Entry, IReadOnlyList<Lot> Consumed) Debit(LedgerKind kind, Points points, DateTimeOffset occurredAt, string reference, string? note = null)
    {
        (Account, var consumed) = Account.Debit(points);
        return (Append(kind, -points, occurredAt, reference, note), consumed);
    }

    /// <summary>Puts back points taken from <paramref name="lots"/> (a cancelled redemption), each with its own expiry, as one entry.</summary>
    public LedgerEntry Restore(LedgerKind kind, IReadOnlyList<Lot> lots, DateTimeOffset occurredAt, string reference, string? note = null)
    {
        foreach (var lot in lots)
        {
            Account = Account.Credit(lot.Remaining, lot.ExpiresOn);
        }

        return Append(kind, lots.Aggregate(Points.Zero, (sum, l) => sum + l.Remaining), occurredAt, reference, note);
    }

    /// <summary>Records an event that moves no points (a tier change).</summary>
    public LedgerEntry Event(LedgerKind kind, DateTimeOffset occurredAt, string reference, string note) =>
        Append(kind, Points.Zero, occurredAt, reference, note);

    /// <summary>Changes the account's counters (tier, purchase count, …) without a ledger entry.</summary>
    public void Update(Func<Account, Account> change) => Account = change(Account);

    private LedgerEntry Append(LedgerKind kind, Points points, DateTimeOffset occurredAt, string reference, string? note)
    {
        var seq = checked(Account.LastSeq + 1);
        Account = Account with { LastSeq = seq };
        var entry = new LedgerEntry(seq, kind, points, Account.Balance, occurredAt, RecordedAt, reference, note);
        entries.Add(entry);
        return entry;
    }
}
