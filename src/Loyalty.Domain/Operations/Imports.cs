using System.Globalization;
using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

/// <summary>What importing a member's account gave them.</summary>
/// <param name="Opening">Points of the opening lots.</param>
/// <param name="HistoryTakenBack">Points the imported purchases had credited, taken back because the opening lots hold them.</param>
/// <param name="Expired">Opening points whose day had passed, expired at once.</param>
/// <param name="VouchersVoided">Vouchers the imported purchases had earned, voided (the old system gave what it gave).</param>
public sealed record ImportResult(string MemberId, long Opening, long HistoryTakenBack, long Expired, long Balance, string? Tier, int VouchersVoided);

/// <summary>The account of a member moved in from another system, as that system held it at the cut-over: the open point
/// lots with their own expiry days, the tier and the enrolment date. It runs last, after the member's profile and their
/// imported purchases (<see cref="RecordPurchase"/>, so that returns, tier windows and the first-purchase rule see them),
/// and it is what marks the member's import complete. Idempotent by the member: a second import of the same content is a
/// replay, other content a conflict.
/// <para>The opening lots are the member's whole balance. Points the imported purchases credited under this program are
/// taken back by one <c>adjust</c> entry (they are in the opening lots already), and vouchers those purchases earned are
/// voided: an import neither creates nor loses points. Opening points count in lifetime points but in no month's activity
/// (their months are unknown), so tiers come from the imported tier or the imported purchases. An imported tier above the
/// base is kept as if reached on the import day (window plus grace months), then reviewed like any other. Lots whose day
/// has passed expire at once, as back-filled purchases do.</para></summary>
/// <param name="Lots">The opening lots with their expiry days (at most <see cref="MaxLots"/>, none empty).</param>
/// <param name="Undated">Opening points without an expiry day from the old system: they expire like points earned on the
/// day of the import (a value of the request, so that a re-run on another day is still the same import).</param>
/// <param name="Tier">The tier in the old system, or null to keep what the imported purchases reached.</param>
/// <param name="HistoryPurchases">How many purchases the import recorded for the member before this: the account must
/// hold nothing else.</param>
/// <param name="Source">A digest of the rest of the member's import (profile and purchases), so that a re-run with other
/// content under the same member is a conflict, not a replay.</param>
public sealed record ImportAccount(MemberId Member, IReadOnlyList<Lot> Lots, Points Undated, string? Tier, DateTimeOffset? EnrolledAt, int HistoryPurchases, string Source)
    : MemberOperation<ImportResult>(Member, new OperationKey(OperationKinds.Import, OperationId.Parse(Member.Value)))
{
    /// <summary>Lots per member: one opening entry, one expiry entry per lot whose day has passed, the take-back and the
    /// tier change, with the operation and member rows, fit one storage transaction.</summary>
    public const int MaxLots = 90;

    /// <summary>The largest opening balance accepted: anything above is taken for a mistake in the file.</summary>
    public const long MaxPoints = 100_000_000;

    /// <summary>The reference of the import's ledger entries.</summary>
    public const string Reference = "import";

    public override string Fingerprint => Operations.Fingerprint.Of(
        Key.Kind,
        Member.Value,
        Lots.Select(l => new object?[] { l.ExpiresOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), l.Remaining.Value }),
        Undated.Value,
        Tier,
        EnrolledAt,
        HistoryPurchases,
        Source);

    public override Outcome<ImportResult> Decide(Member member, object? related, OperationContext context)
    {
        // Imported purchases alone leave at most the points they earned (a balance above lifetime points was credited
        // some other way); the adapter also checks that the member has no operation but those purchases.
        var account = member.Account;
        if (account.Debt > Points.Zero || account.Owed > Points.Zero || account.Balance > account.Lifetime
            || account.PurchaseCount != HistoryPurchases || (HistoryPurchases == 0 && account.LastSeq > 0))
        {
            return new AccountNotEmpty(account.Balance.Value, account.PurchaseCount, HistoryPurchases);
        }

        var tiers = context.Program.Tiers;
        if (Tier is not null && tiers.Find(Tier) is null)
        {
            return new UnknownTier(Tier, [.. tiers.Levels.Select(l => l.Id)]);
        }

        var posting = new Posting(account, context.Now);
        var history = account.Balance;
        if (history > Points.Zero)
        {
            posting.Debit(LedgerKind.Adjust, history, context.Now, Reference, "imported purchases: their points are in the opening balance");
        }

        var voided = account.Vouchers.Count(v => v.Status == VoucherStatus.Active);
        posting.Update(a => a with { Vouchers = [.. a.Vouchers.Select(v => v.Status == VoucherStatus.Active ? v with { Status = VoucherStatus.Void } : v)] });

        List<Lot> lots = [.. Lots];
        if (Undated > Points.Zero)
        {
            lots.Add(new Lot(context.Program.Points.ExpiryFor(context.Now), Undated));
        }

        var opening = lots.Aggregate(Points.Zero, (sum, l) => sum + l.Remaining);
        if (opening > Points.Zero)
        {
            posting.Restore(LedgerKind.Adjust, lots, context.Now, Reference, "opening balance");
        }

        posting.Update(a => a with { Lifetime = a.Lifetime + opening, EnrolledAt = EnrolledAt ?? a.EnrolledAt });

        var today = context.Today;
        if (Tier is not null && Tier != tiers.Shown(account.Tier))
        {
            var index = tiers.IndexOf(Tier);
            posting.Event(LedgerKind.Tier, context.Now, Reference, Tier);
            posting.Update(a => a with { Tier = Tier, TierReviewOn = index == 0 ? null : today.AddMonths(tiers.WindowMonths + tiers.GraceMonths) });
        }

        var (expired, _) = ExpirePoints.Post(posting, today.AddDays(-1), int.MaxValue, Reference);
        var after = posting.Account;

        // To consumers an import is one adjustment of the balance (its tier and voided vouchers add their own events).
        var adjusted = new PointsAdjusted(Reference, posting.Net.Value, posting.OwedPaid.Value, after.Balance.Value);
        return Outcome<ImportResult>.Commit(
            posting,
            new ImportResult(Member.Value, opening.Value, history.Value, expired.Value, after.Balance.Value, tiers.Shown(after.Tier), voided),
            events: [new DomainEvent(EventCatalog.PointsAdjusted, adjusted)]);
    }
}

/// <summary>The member's account already holds points or history that did not come from this import (they enrolled
/// through the API, or were imported with other purchases): an import never writes over them.</summary>
public sealed record AccountNotEmpty(long Balance, int Purchases, int ImportedPurchases) : Refusal("account-not-empty")
{
    public override string Detail =>
        $"The member already has a balance of {Balance} and {Purchases} purchases, {ImportedPurchases} of them imported; an import does not write over an account in use.";

    public override IReadOnlyDictionary<string, object?> Figures => new Dictionary<string, object?>
    {
        ["balance"] = Balance,
        ["purchases"] = Purchases,
        ["importedPurchases"] = ImportedPurchases,
    };
}

/// <summary>A tier the program does not have.</summary>
public sealed record UnknownTier(string Tier, IReadOnlyList<string> Tiers) : Refusal("unknown-tier")
{
    public override string Detail => Tiers.Count == 0
        ? $"The program has no tiers; '{Tier}' cannot be given."
        : $"'{Tier}' is not a tier of the program ({string.Join(", ", Tiers)}).";
}
