using System.Diagnostics;
using System.Diagnostics.Metrics;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;

namespace Loyalty.Adapters.Storage;

/// <summary>Metrics of what each committed operation wrote, on the meter <see cref="MeterName"/>: every ledger entry that
/// moves points, the tier and voucher changes of the account, and the operation itself. <see cref="MemberStore"/> calls
/// <see cref="Committed"/> once per commit, from the posting it wrote, so that every operation (today's and those to
/// come) is counted without saying so itself, and the metrics of a day add up to the ledger of that day. Tags are names
/// from the program or the code (kinds, rule, reward and tier ids): never a member id, a note a person wrote, or a code.</summary>
public sealed class LedgerMetrics
{
    public const string MeterName = "Loyalty.Ledger";

    /// <summary>Points moved by ledger entries, as a positive amount with <c>direction</c> credit or debit; tags
    /// <c>kind</c> (the entry's kind: earn, bonus, redeem, reverse, expire, adjust, …), <c>source</c> (the operation's
    /// kind: purchase, return, adjust, redeem, cancel, referral, birthday, expire, …) and <c>rule</c> (the rule or reward
    /// the entry names, <c>owed</c> for owed points taken, <c>none</c> otherwise).</summary>
    public const string PointsMoved = "loyalty.points.moved";

    public const string PointsIssued = "loyalty.points.issued";
    public const string PointsRedeemed = "loyalty.points.redeemed";
    public const string PointsExpired = "loyalty.points.expired";

    /// <summary>Committed operations by <c>kind</c> (replays and refusals are not counted).</summary>
    public const string Operations = "loyalty.operations";

    /// <summary>Tier changes by <c>from</c>, <c>to</c> and <c>source</c>.</summary>
    public const string TierChanges = "loyalty.tier.changes";

    /// <summary>Vouchers by <c>status</c> (issued, used, expired, void), <c>reward</c> and <c>source</c>.</summary>
    public const string Vouchers = "loyalty.vouchers";

    /// <summary>Points reserved at a till and how each reservation ended, by <c>status</c>: <c>held</c> (a hold placed),
    /// <c>captured</c> (the part a capture took: the same points as its <c>burn</c> entry), <c>released</c> (given back by
    /// a release, or the part a capture did not take) and <c>lapsed</c> (a hold whose time passed, dropped by a later
    /// operation); and <c>source</c>. Held points are not a ledger movement: only a capture's burn is.</summary>
    public const string PointsHeld = "loyalty.points.held";

    private const string None = "none";

    private readonly Counter<long> moved;
    private readonly Counter<long> issued;
    private readonly Counter<long> redeemed;
    private readonly Counter<long> expired;
    private readonly Counter<long> operations;
    private readonly Counter<long> tierChanges;
    private readonly Counter<long> vouchers;
    private readonly Counter<long> held;
    private readonly TierRules tiers;
    private readonly HashSet<string> rules;

    private readonly string? tool;

    /// <param name="tool">The source of everything committed, when a tool commits operations of its own outside the app:
    /// <c>import</c> for the command line's import, whose purchases and opening balances are not the program's
    /// purchases of the day. Null in the app: the source is each operation's kind.</param>
    public LedgerMetrics(IMeterFactory meterFactory, ProgramDefinition program, string? tool = null)
    {
        this.tool = tool;
        var meter = meterFactory.Create(MeterName);
        moved = meter.CreateCounter<long>(PointsMoved, "{point}", "Points moved by ledger entries, by kind, direction, source operation and rule.");
        issued = meter.CreateCounter<long>(PointsIssued, "{point}", "Points credited by earning and bonus rules (earn and bonus entries), by source operation.");
        redeemed = meter.CreateCounter<long>(PointsRedeemed, "{point}", "Points spent on rewards (redeem entries).");
        expired = meter.CreateCounter<long>(PointsExpired, "{point}", "Points that lapsed (expire entries).");
        operations = meter.CreateCounter<long>(Operations, "{operation}", "Operations committed on members' accounts, by kind.");
        tierChanges = meter.CreateCounter<long>(TierChanges, "{change}", "Members moving from one tier to another.");
        vouchers = meter.CreateCounter<long>(Vouchers, "{voucher}", "Vouchers issued and vouchers whose status changed.");
        held = meter.CreateCounter<long>(PointsHeld, "{point}", "Points held at a till, and held points captured, released or lapsed.");
        tiers = program.Tiers;
        rules = RuleIds(program);
    }

    /// <summary>Counts what one committed operation wrote: <paramref name="posting"/>'s entries and the change from its
    /// start account to its final one.</summary>
    public void Committed(OperationKey cause, Posting posting)
    {
        var source = tool ?? cause.Kind;
        operations.Add(1, new KeyValuePair<string, object?>("kind", source));
        foreach (var entry in posting.Entries.Where(e => e.Points != Domain.Points.Zero))
        {
            var kind = entry.Kind.ToString().ToLowerInvariant();
            var amount = Math.Abs(entry.Points.Value);
            moved.Add(amount, new TagList
            {
                { "kind", kind },
                { "direction", entry.Points.Value > 0 ? "credit" : "debit" },
                { "source", source },
                { "rule", Rule(entry.Note) },
            });
            switch (entry.Kind)
            {
                case LedgerKind.Earn or LedgerKind.Bonus when entry.Points.Value > 0:
                    issued.Add(amount, new KeyValuePair<string, object?>("source", source));
                    break;
                case LedgerKind.Redeem when entry.Points.Value < 0:
                    redeemed.Add(amount, new KeyValuePair<string, object?>("source", source));
                    break;
                case LedgerKind.Expire when entry.Points.Value < 0:
                    expired.Add(amount, new KeyValuePair<string, object?>("source", source));
                    break;
            }
        }

        var (from, to) = (tiers.Shown(posting.Start.Tier), tiers.Shown(posting.Account.Tier));
        if (from != to)
        {
            tierChanges.Add(1, new TagList { { "from", from ?? None }, { "to", to ?? None }, { "source", source } });
        }

        Holds(cause, source, posting);
        var before = posting.Start.Vouchers.ToDictionary(v => v.Code, v => v.Status, StringComparer.Ordinal);
        foreach (var voucher in posting.Account.Vouchers)
        {
            var status = !before.TryGetValue(voucher.Code, out var was) ? "issued" : was != voucher.Status ? voucher.Status.ToString().ToLowerInvariant() : null;
            if (status is not null)
            {
                vouchers.Add(1, new TagList { { "status", status }, { "reward", voucher.RewardId }, { "source", source } });
            }
        }
    }

    // The holds the operation placed and those it ended: a capture takes what its burn entry debits and gives the rest
    // back; a hold whose time had passed, dropped on the way by any operation, lapsed.
    private void Holds(OperationKey cause, string source, Posting posting)
    {
        var after = posting.Account.Holds.Select(h => h.HoldId).ToHashSet(StringComparer.Ordinal);
        var before = posting.Start.Holds.Select(h => h.HoldId).ToHashSet(StringComparer.Ordinal);
        foreach (var hold in posting.Account.Holds.Where(h => !before.Contains(h.HoldId)))
        {
            Held(hold.Points.Value, "held", source);
        }

        foreach (var hold in posting.Start.Holds.Where(h => !after.Contains(h.HoldId)))
        {
            var settled = hold.HoldId == cause.Id.Value && cause.Kind is OperationKinds.Capture or OperationKinds.Release;
            var captured = settled && cause.Kind == OperationKinds.Capture
                ? -posting.Entries.Where(e => e.Kind == LedgerKind.Burn).Sum(e => e.Points.Value)
                : 0;
            Held(captured, "captured", source);
            Held(hold.Points.Value - captured, settled ? "released" : "lapsed", source);
        }
    }

    private void Held(long points, string status, string source)
    {
        if (points > 0)
        {
            held.Add(points, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("source", source));
        }
    }

    // The rule an entry's note names: its first word, when that is a rule or reward id of the program (a void names
    // "<rule> void"). Anything else (an adjustment's reason, a lot's date) is not a tag value.
    private string Rule(string? note)
    {
        if (note is null)
        {
            return None;
        }

        var end = note.AsSpan().IndexOfAny(' ', ':');
        var first = end < 0 ? note : note[..end];
        return rules.Contains(first) ? first : None;
    }

    /// <summary>The ids a ledger entry's note may name: the program's promotions, spend thresholds and rewards, the
    /// fixed bonus rules, and owed points. A new family of rules whose ids entries name belongs here.</summary>
    private static HashSet<string> RuleIds(ProgramDefinition program) =>
    [
        RecordPurchase.FirstPurchaseRule,
        RecordPurchase.BigOrderRule,
        OperationKinds.Referral,
        OperationKinds.Birthday,
        Posting.OwedNote,
        .. program.Bonuses.Promotions.Select(p => p.Id),
        .. program.Bonuses.SpendThresholds.Select(t => t.Id),
        .. program.Rewards.Select(r => r.Id),
    ];
}
