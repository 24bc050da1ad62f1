using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;

namespace Loyalty.Domain.Operations;

public sealed record AdjustmentResult(string AdjustmentId, string MemberId, long Points, long Balance, string Reason);

/// <summary>Customer service adds or takes points, with the reason in the ledger. Credited points expire like earned
/// ones, counted from now; a debit beyond the balance (less the points held at a till) is refused where the program
/// forbids negative balances.</summary>
public sealed record AdjustPoints(OperationId AdjustmentId, MemberId Member, Points Points, string Reason)
    : MemberOperation<AdjustmentResult>(Member, new OperationKey(OperationKinds.Adjustment, AdjustmentId))
{
    /// <summary>The largest adjustment either way.</summary>
    public const long MaxPoints = 1_000_000;

    public override string Fingerprint => Operations.Fingerprint.Of(Key.Kind, AdjustmentId.Value, Member.Value, Points.Value, Reason);

    public override bool ClaimsId => true;

    public override Outcome<AdjustmentResult> Decide(Member member, object? related, OperationContext context)
    {
        var program = context.Program;
        var posting = new Posting(member.Account, context.Now);
        if (Points > Points.Zero)
        {
            posting.Credit(LedgerKind.Adjust, Points, program.Points.ExpiryFor(context.Now), context.Now, AdjustmentId.Value, Reason);
        }
        else
        {
            // Points held at a till are promised to an order: a debit where negative balances are off leaves them alone.
            var debit = -Points;
            var held = member.Account.HeldAt(context.Now);
            if (!program.Points.AllowNegativeBalance && member.Account.Balance - held < debit)
            {
                return held > Points.Zero ? InsufficientPoints.Of(member.Account, debit.Value, context.Now) : new InsufficientPoints(member.Account.Balance.Value, debit.Value);
            }

            posting.Debit(LedgerKind.Adjust, debit, context.Now, AdjustmentId.Value, Reason);
        }

        var balance = posting.Account.Balance.Value;
        var adjusted = new PointsAdjusted(AdjustmentId.Value, Points.Value, posting.OwedPaid.Value, balance);
        return Outcome<AdjustmentResult>.Commit(
            posting, new AdjustmentResult(AdjustmentId.Value, Member.Value, Points.Value, balance, Reason), events: [new DomainEvent(EventCatalog.PointsAdjusted, adjusted)]);
    }
}
