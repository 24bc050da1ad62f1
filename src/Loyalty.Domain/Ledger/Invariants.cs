using Loyalty.Domain.Program;

namespace Loyalty.Domain.Ledger;

/// <summary>What a points ledger promises, written once. Every change goes through one operation that the domain
/// decides and the storage adapter commits in one transaction, so these hold after every commit:
/// <list type="number">
/// <item>The balance equals the sum of the ledger, and each entry's balance-after is the running sum.</item>
/// <item>Every ledger entry belongs to exactly one operation; entries are numbered 1, 2, … without gaps.</item>
/// <item>An operation id is used once per program and kind (an order id credits one member, once).</item>
/// <item>No credit exceeds what the program's rules give for the money actually spent and not returned (checked by the
/// reference model in the tests, which recomputes every credit from the rules).</item>
/// <item>Lots are never empty or negative; a negative balance (debt) exists only where the program allows it and only
/// with no lots left; points owed exist only where it does not.</item>
/// <item>Stock is exact: units held equal the reservations that hold one (checked on the reward's partition).</item>
/// <item>Erasure leaves no personal data outside the anonymised ledger (checked on every table that names members).</item>
/// </list></summary>
public static class Invariants
{
    /// <summary>Checks the invariants of one member (1, 2 and 5, and those of holds, pending points and vouchers): what is
    /// wrong, or nothing.</summary>
    /// <param name="operations">The ledger entries (sequence numbers) each of the member's operations made.</param>
    /// <param name="at">The time at which held and pending points are counted (default: every hold and pending amount listed).</param>
    public static IReadOnlyList<string> Check(
        PointsRules rules, Account account, IReadOnlyList<LedgerEntry> ledger, IEnumerable<(string Operation, IReadOnlyList<long> Entries)> operations, DateTimeOffset? at = null)
    {
        var problems = new List<string>();
        var running = Points.Zero;
        foreach (var (entry, index) in ledger.OrderBy(e => e.Seq).Select((e, i) => (e, i)))
        {
            running += entry.Points;
            if (entry.Seq != index + 1)
            {
                problems.Add($"entry {entry.Seq} is at position {index + 1}: sequence numbers have a gap");
            }

            if (entry.BalanceAfter != running)
            {
                problems.Add($"entry {entry.Seq} says the balance after it is {entry.BalanceAfter}; the entries up to it add up to {running}");
            }
        }

        if (account.Balance != running)
        {
            problems.Add($"the balance is {account.Balance} but the ledger adds up to {running}");
        }

        if (account.LastSeq != ledger.Count)
        {
            problems.Add($"the account's last entry is {account.LastSeq} but the ledger has {ledger.Count}");
        }

        var owners = new Dictionary<long, string>();
        foreach (var (operation, entries) in operations)
        {
            foreach (var seq in entries)
            {
                if (!owners.TryAdd(seq, operation))
                {
                    problems.Add($"entry {seq} belongs to both {owners[seq]} and {operation}");
                }
            }
        }

        problems.AddRange(ledger.Where(e => !owners.ContainsKey(e.Seq)).Select(e => $"entry {e.Seq} belongs to no operation"));
        problems.AddRange(owners.Keys.Where(seq => ledger.All(e => e.Seq != seq)).Select(seq => $"operation {owners[seq]} lists entry {seq}, which does not exist"));

        if (account.Lots.Any(l => l.Remaining <= Points.Zero))
        {
            problems.Add("a lot is empty or negative");
        }

        if (account.Debt < Points.Zero || account.Owed < Points.Zero)
        {
            problems.Add($"debt {account.Debt} and owed {account.Owed} must not be negative");
        }

        if (account.Debt > Points.Zero && (account.Lots.Count > 0 || !rules.AllowNegativeBalance))
        {
            problems.Add($"a debt of {account.Debt} with {account.Lots.Count} lots open (negative balances allowed: {rules.AllowNegativeBalance})");
        }

        if (account.Owed > Points.Zero && rules.AllowNegativeBalance)
        {
            problems.Add($"{account.Owed} points owed although negative balances are allowed");
        }

        problems.AddRange(Till(account, at ?? DateTimeOffset.MinValue));
        return problems;
    }

    /// <summary>Holds, pending points and vouchers: held and pending points are parts of a positive balance, never more,
    /// and what is available is the rest; every hold and pending amount is positive; a hold id and a voucher code appear
    /// once; a voucher is used exactly when it records its use.</summary>
    private static IEnumerable<string> Till(Account account, DateTimeOffset at)
    {
        var (balance, held, pending, available) = (account.Balance, account.HeldAt(at), account.PendingAt(at), account.AvailableAt(at));
        if (held < Points.Zero || pending < Points.Zero || held + pending > new Points(Math.Max(0, balance.Value)))
        {
            yield return $"held {held} and pending {pending} are not parts of the balance {balance}";
        }

        if (available != balance - held - pending)
        {
            yield return $"available {available} is not the balance {balance} less held {held} and pending {pending}";
        }

        if (account.Holds.Any(h => h.Points <= Points.Zero) || account.Pending.Any(p => p.Points <= Points.Zero))
        {
            yield return "a hold or a pending amount is empty or negative";
        }

        if (account.Holds.Select(h => h.HoldId).Distinct().Count() != account.Holds.Count)
        {
            yield return "a hold id appears twice";
        }

        if (account.Vouchers.Select(v => v.Code).Distinct().Count() != account.Vouchers.Count)
        {
            yield return "a voucher code appears twice";
        }

        if (account.Vouchers.Any(v => (v.Status == VoucherStatus.Used) != (v.Use is not null)))
        {
            yield return "a voucher is used without its use recorded, or records a use without being used";
        }
    }

    /// <summary>Invariant 3 across members: the operation ids of kinds that the caller chooses are used once in the program.</summary>
    public static IReadOnlyList<string> UniqueIds(IEnumerable<(MemberId Member, string Kind, OperationId Id)> operations, IReadOnlySet<string> programWideKinds) =>
        [.. operations
            .Where(o => programWideKinds.Contains(o.Kind))
            .GroupBy(o => (o.Kind, o.Id))
            .Where(g => g.Select(o => o.Member).Distinct().Count() > 1)
            .Select(g => $"{g.Key.Kind} {g.Key.Id.Value} is used by {string.Join(", ", g.Select(o => o.Member.Value).Distinct())}")];
}
