namespace Loyalty.Tests.Model;

/// <summary>The changes one operation makes to a member, as the specification states them: credits pay debt first
/// (negative balances on) and owed after (negative balances off); debits take the soonest-expiring lot first.</summary>
public sealed class ModelPosting(ModelMember member, ModelProgram program, ModelSpec spec, string kind, string id)
{
    private long credited;

    public ModelMember Member { get; } = member;

    public List<ModelEntry> Entries { get; } = [];

    public void Credit(string kind, long points, DateOnly lot, string? reference, string? note)
    {
        Entries.Add(new ModelEntry(kind, points, reference, note));
        credited += points;
        var paid = Math.Min(Member.Debt, points);
        Member.Debt -= paid;
        AddToLot(lot, points - paid);
    }

    /// <summary>A cancelled redemption's points come back into the lots they came from (one <c>reverse</c> entry; an
    /// import's opening lots: one entry of <paramref name="kind"/>); like any credit they pay debt first, soonest-expiring
    /// lot first.</summary>
    public void Restore(IEnumerable<(DateOnly Day, long Points)> lots, string reference, string note, string kind = "reverse")
    {
        var total = 0L;
        foreach (var (day, points) in lots)
        {
            var paid = Math.Min(Member.Debt, points);
            Member.Debt -= paid;
            AddToLot(day, points - paid);
            total += points;
        }

        Entries.Add(new ModelEntry(kind, total, reference, note));
        credited += total;
    }

    /// <summary>Takes points soonest-expiring first; what the lots do not have becomes debt. Returns the points
    /// taken from each lot.</summary>
    public List<(DateOnly Day, long Points)> Debit(long points)
    {
        var consumed = new List<(DateOnly, long)>();
        foreach (var (day, available) in Member.Lots.ToList())
        {
            if (points == 0)
            {
                break;
            }

            var take = Math.Min(available, points);
            consumed.Add((day, take));
            points -= take;
            if (take == available)
            {
                Member.Lots.Remove(day);
            }
            else
            {
                Member.Lots[day] = available - take;
            }
        }

        Member.Debt += points;
        return consumed;
    }

    /// <summary>Takes back points a return (or a voided grant) is due: all of them with negative balances, else at
    /// most the balance less the <paramref name="held"/> points, the rest owed (new; today's code forgets it). Returns
    /// (taken, owed).</summary>
    public (long Taken, long Owed) TakeBack(long due, string? reference, string? note, long held = 0)
    {
        var taken = program.AllowNegativeBalance ? due : Math.Min(due, Math.Max(0, Member.Balance - held));
        Debit(taken);
        Entries.Add(new ModelEntry("reverse", -taken, reference, note));
        var owed = program.AllowNegativeBalance || !spec.Has(ModelSpec.Owed) ? 0 : due - taken;
        Member.Owed += owed;
        return (taken, owed);
    }

    /// <summary>After the credits of an operation: what is owed is paid from them first (new), one <c>reverse</c>
    /// entry noted <c>owed</c> with the operation's reference.</summary>
    public void PayOwed(string reference)
    {
        var pay = Math.Min(Member.Owed, credited);
        if (pay == 0)
        {
            return;
        }

        Member.Owed -= pay;
        Debit(pay);
        Entries.Add(new ModelEntry("reverse", -pay, reference, "owed"));
    }

    public void Event(string kind, string? reference, string note) => Entries.Add(new ModelEntry(kind, 0, reference, note));

    public void Expire(DateOnly day, long points)
    {
        Member.Lots.Remove(day);
        Entries.Add(new ModelEntry("expire", -points, null, "lot " + ReferenceModel.Day(day)));
    }

    public void Commit() => Member.Operations.Add(new ModelOperation(kind, id, Entries));

    private void AddToLot(DateOnly lot, long points)
    {
        if (points > 0)
        {
            Member.Lots[lot] = Member.Lots.GetValueOrDefault(lot) + points;
        }
    }
}
