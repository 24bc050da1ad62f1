using CsCheck;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;

namespace Loyalty.Tests.Domain;

public sealed class AccountTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Jan = new(2027, 1, 31);
    private static readonly DateOnly Mar = new(2027, 3, 31);

    private static Account Empty() => new() { EnrolledAt = At };

    [Fact]
    public void Credit_SameExpiryDay_SharesOneLot()
    {
        var account = Empty().Credit(new Points(10), Jan).Credit(new Points(5), Jan);

        var lot = Assert.Single(account.Lots);
        Assert.Equal(new Points(15), lot.Remaining);
    }

    [Fact]
    public void Debit_ConsumesSoonestExpiryFirst_NeverExpiringLast()
    {
        var account = Empty().Credit(new Points(10), null).Credit(new Points(10), Mar).Credit(new Points(10), Jan);

        var (after, consumed) = account.Debit(new Points(15));

        Assert.Equal([new Lot(Jan, new Points(10)), new Lot(Mar, new Points(5))], consumed);
        Assert.Equal([new Lot(Mar, new Points(5)), new Lot(null, new Points(10))], after.Lots);
        Assert.Equal(new Points(15), after.Balance);
    }

    [Fact]
    public void Debit_BeyondLots_LeavesDebtAndNegativeBalance()
    {
        var (after, _) = Empty().Credit(new Points(10), Jan).Debit(new Points(25));

        Assert.Empty(after.Lots);
        Assert.Equal(new Points(15), after.Debt);
        Assert.Equal(new Points(-15), after.Balance);
    }

    [Fact]
    public void Credit_WithDebt_RepaysDebtFirst()
    {
        var (owing, _) = Empty().Debit(new Points(15));

        var after = owing.Credit(new Points(20), Jan);

        Assert.Equal(Points.Zero, after.Debt);
        Assert.Equal(new Points(5), Assert.Single(after.Lots).Remaining);
    }

    [Fact]
    public void Posting_NumbersEntriesAndRecordsBalanceAfter()
    {
        var posting = new Posting(Empty() with { LastSeq = 7 }, At);

        var earn = posting.Credit(LedgerKind.Earn, new Points(30), Jan, At, "p1");
        var (redeem, _) = posting.Debit(LedgerKind.Redeem, new Points(12), At, "r1");

        Assert.Equal((8, 30L), (earn.Seq, earn.BalanceAfter.Value));
        Assert.Equal((9, 18L, -12L), (redeem.Seq, redeem.BalanceAfter.Value, redeem.Points.Value));
        Assert.Equal(9, posting.Account.LastSeq);
        Assert.Equal(new Points(18), posting.Net);
    }

    private static readonly Gen<(bool Credit, long Points, int ExpiryDay)> Op =
        Gen.Select(Gen.Bool, Gen.Long[0, 1_000], Gen.Int[0, 5]);

    [Fact]
    public void AnySequence_BalanceEqualsSumOfEntries_AndNoLotIsNegative() =>
        Op.Array[0, 60].Sample(ops =>
        {
            var posting = new Posting(Empty(), At);
            foreach (var (credit, points, day) in ops)
            {
                DateOnly? expires = day == 0 ? null : Jan.AddDays(day);
                if (credit)
                {
                    posting.Credit(LedgerKind.Earn, new Points(points), expires, At, "x");
                }
                else
                {
                    posting.Debit(LedgerKind.Redeem, new Points(points), At, "x");
                }
            }

            var account = posting.Account;
            Assert.Equal(posting.Net, account.Balance);
            Assert.All(account.Lots, l => Assert.True(l.Remaining > Points.Zero));
            Assert.True(account.Debt == Points.Zero || account.Lots.IsEmpty);
            Assert.Equal(account.Lots.OrderBy(l => l.ExpiresOn ?? DateOnly.MaxValue).ToList(), account.Lots);
            Assert.Equal(account.Lots.Count, account.Lots.Select(l => l.ExpiresOn).Distinct().Count());
            if (posting.Entries.Count > 0)
            {
                Assert.Equal(account.Balance, posting.Entries[^1].BalanceAfter);
            }
        }, iter: 10_000);
}
