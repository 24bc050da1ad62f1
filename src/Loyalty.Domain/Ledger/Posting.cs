namespace Loyalty.Domain.Ledger;

/// <summary>Collects the ledger entries of one operation on one account, numbering them and keeping the
/// account in step, so that every entry's balance-after is exact. The caller stores the entries and the final
/// account in one transaction.</summary>
public sealed class Posting(Account start, DateTimeOffset recordedAt)
{
    /// <summary>The note of the entry that takes owed points from a credit.</summary>
    public const string OwedNote = "owed";

    private readonly List<LedgerEntry> entries = [];

    /// <summary>The account before this posting.</summary>
    public Account Start { get; } = start;

    public Account Account { get; private set; } = start;

    public IReadOnlyList<LedgerEntry> Entries => entries;

    public DateTimeOffset RecordedAt { get; } = recordedAt;

    /// <summary>Points the entries of this posting add up to.</summary>
    public Points Net => entries.Aggregate(Points.Zero, (sum, e) => sum + e.Points);

    /// <summary>Points of this posting's credits that paid what the member owed (the <c>reverse</c> entries noted <c>owed</c>).</summary>
    public Points OwedPaid => entries.Where(e => e is { Kind: LedgerKind.Reverse, Note: OwedNote }).Aggregate(Points.Zero, (sum, e) => sum - e.Points);

    /// <summary>Credits points into the lot of <paramref name="expiresOn"/>. Points the member owes (see
    /// <see cref="Account.Owed"/>) are then taken from them at once, as a <c>reverse</c> entry noted <c>owed</c>.</summary>
    public LedgerEntry Credit(LedgerKind kind, Points points, DateOnly? expiresOn, DateTimeOffset occurredAt, string reference, string? note = null)
    {
        Account = Account.Credit(points, expiresOn);
        var entry = Append(kind, points, occurredAt, reference, note);
        SettleOwed(points, reference);
        return entry;
    }

    /// <summary>Takes back points the member was given (a return, a voided grant). Where the program allows negative
    /// balances it takes them all; otherwise it takes what the balance has besides the points held at a till, and the
    /// rest is owed, to be taken from the next credits. Returns what was taken now and what is owed.</summary>
    public (Points Taken, Points Owed) TakeBack(Points points, bool allowNegativeBalance, DateTimeOffset occurredAt, string reference, string note)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points.Value);
        var unheld = Account.Balance - Account.HeldAt(RecordedAt);
        var taken = allowNegativeBalance ? points : Points.Min(points, new Points(Math.Max(0, unheld.Value)));
        if (taken > Points.Zero)
        {
            Debit(LedgerKind.Reverse, taken, occurredAt, reference, note);
        }

        var owed = points - taken;
        Account = Account with { Owed = Account.Owed + owed };
        return (taken, owed);
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

        var restored = lots.Aggregate(Points.Zero, (sum, l) => sum + l.Remaining);
        var entry = Append(kind, restored, occurredAt, reference, note);
        SettleOwed(restored, reference);
        return entry;
    }

    /// <summary>Records an event that moves no points (a tier change).</summary>
    public LedgerEntry Event(LedgerKind kind, DateTimeOffset occurredAt, string reference, string note) =>
        Append(kind, Points.Zero, occurredAt, reference, note);

    /// <summary>Changes the account's counters (tier, purchase count, …) without a ledger entry.</summary>
    public void Update(Func<Account, Account> change) => Account = change(Account);

    /// <summary>Points credited just now pay what the member owes first.</summary>
    private void SettleOwed(Points credited, string reference)
    {
        var settle = Points.Min(credited, Account.Owed);
        if (settle > Points.Zero)
        {
            Debit(LedgerKind.Reverse, settle, RecordedAt, reference, OwedNote);
            Account = Account with { Owed = Account.Owed - settle };
        }
    }

    private LedgerEntry Append(LedgerKind kind, Points points, DateTimeOffset occurredAt, string reference, string? note)
    {
        var seq = checked(Account.LastSeq + 1);
        Account = Account with { LastSeq = seq };
        var entry = new LedgerEntry(seq, kind, points, Account.Balance, occurredAt, RecordedAt, reference, note);
        entries.Add(entry);
        return entry;
    }
}
