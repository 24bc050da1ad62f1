using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

/// <param name="PointsReversed">Points this return took from the balance.</param>
/// <param name="PointsOwed">Points this return is due but the balance did not have (where negative balances are off):
/// the member owes them, and the next credits pay them.</param>
/// <param name="Tier">The member's tier after the return: it falls at once when the returned spend held it up.</param>
/// <param name="Returnable">What of the purchase can still be returned.</param>
/// <param name="VouchersVoided">Vouchers of spend thresholds that the returned spend had earned.</param>
public sealed record ReturnResult(
    string ReturnId,
    string PurchaseId,
    string MemberId,
    long PointsReversed,
    long PointsOwed,
    long Balance,
    string? Tier,
    decimal ReturnedTotal,
    decimal Returnable,
    IReadOnlyList<string> VouchersVoided);

/// <summary>Part or all of a recorded purchase came back: takes back what the purchase gave for the returned part.
/// <list type="bullet">
/// <item>Points in proportion: the earn entry and, where the program says so, the promotion and big-order bonuses. The
/// running total is rounded down once, so returning in parts takes back exactly what returning it whole would.</item>
/// <item>Within the return window, the points come off the purchase's pending points first.</item>
/// <item>Where negative balances are off, what the balance does not have (less what is held at a till) is owed and the
/// next credits pay it.</item>
/// <item>The qualifying spend of the purchase's month; a member whose remaining spend no longer reaches their tier
/// falls at once to the tier it does reach (the grace period is for spend that aged out, not spend returned).</item>
/// <item>Spend-threshold grants whose window the return leaves short: their points, and their voucher.</item>
/// </list></summary>
public sealed record RecordReturn(OperationId ReturnId, OperationId PurchaseId, MemberId Member, decimal Amount, DateTimeOffset OccurredAt)
    : MemberOperation<ReturnResult>(Member, new OperationKey(OperationKinds.Return, ReturnId))
{
    public const string Note = "return";

    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, ReturnId.Value, PurchaseId.Value, Member.Value, Amount, OccurredAt);

    public override bool ClaimsId => true;

    public override OperationKey? RelatedKey => new OperationKey(OperationKinds.Purchase, PurchaseId);

    public override Type? RelatedRecordType => typeof(PurchaseRecord);

    public override Outcome<ReturnResult> Decide(Member member, object? related, OperationContext context)
    {
        var purchase = (PurchaseRecord)related!;
        if (Amount > purchase.Returnable)
        {
            return new ReturnExceedsPurchase(Amount, purchase.Returnable, purchase.Currency, "More than what is left of the purchase");
        }

        if (!Currency.Parse(purchase.Currency).Allows(Amount))
        {
            return new ReturnExceedsPurchase(Amount, purchase.Returnable, purchase.Currency, $"{purchase.Currency} has no such fractions");
        }

        var program = context.Program;
        var today = context.Today;
        var posting = new Posting(member.Account, context.Now);
        var qualifiedBefore = Tiering.Qualified(program.Tiers, posting.Account, today);

        var returned = purchase.ReturnedAmount + Amount;
        var reversible = purchase.BaseEarned + (program.Returns.ReverseBonuses ? purchase.ReversibleBonus : 0);
        var target = (long)decimal.Floor(reversible * returned / purchase.Amount);
        var due = new Points(target - purchase.ReversedPoints);
        var (taken, owed) = posting.TakeBack(due, program.Points.AllowNegativeBalance, OccurredAt, ReturnId.Value, Note);
        posting.Update(a => a.LessPending(PurchaseId.Value, taken, context.Now));
        posting.Update(a => a.WithActivity(purchase.OccurredAt, -(purchase.Spend * Amount / purchase.Amount), -due.Value, today) with
        {
            Lifetime = a.Lifetime - due,
        });

        var voided = SpendThresholds.VoidShortfalls(program, posting, MonthKey.Of(DateOnly.FromDateTime(purchase.OccurredAt.UtcDateTime)), OccurredAt, ReturnId.Value);
        Tiering.FallBackAfterReturn(program.Tiers, posting, qualifiedBefore, today, ReturnId.Value);
        var after = posting.Account;
        var result = new ReturnResult(
            ReturnId.Value,
            PurchaseId.Value,
            Member.Value,
            taken.Value,
            owed.Value,
            after.Balance.Value,
            program.Tiers.Shown(after.Tier),
            returned,
            purchase.Amount - returned,
            voided);
        var returnedEvent = new PointsReturned(ReturnId.Value, PurchaseId.Value, Amount, purchase.Currency, taken.Value, owed.Value, voided, after.Balance.Value);
        return Outcome<ReturnResult>.Commit(
            posting,
            result,
            relatedRecord: purchase with { ReturnedAmount = returned, ReversedPoints = target },
            events: [new DomainEvent(EventCatalog.PointsReturned, returnedEvent)]);
    }
}
