using Loyalty.Domain.Outreach;

namespace Loyalty.Tests.Outreach;

/// <summary>The reconciliation's decision and the move it adds, with plain values.</summary>
public sealed class ReconcilingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 0, 5, Reconciliation.Wait)]
    [InlineData(1, 0, 45, Reconciliation.Ask)]
    [InlineData(3, 2, 45, Reconciliation.Ask)]
    [InlineData(3, 3, 45, Reconciliation.Retry)]
    [InlineData(0, 0, 45, Reconciliation.Retry)]
    [InlineData(1, 0, -600, Reconciliation.Wait)]
    public void Decide_RetriesOnlyWhenNoCallCanHaveReachedAcs_AndLeavesRecentOnesAlone(int calls, int refused, int minutesAgo, Reconciliation expected) =>
        Assert.Equal(expected, Reconciling.Decide(new SendingFacts(calls, refused, Now.AddMinutes(-minutesAgo)), Now));

    [Fact]
    public void Sending_MayGoBackToPlanned_ButAFinalStatusNever()
    {
        Assert.True(MessageStatus.CanMove(MessageStatus.Sending, MessageStatus.Planned));
        Assert.All(
            new[] { MessageStatus.Sent, MessageStatus.Failed, MessageStatus.Unconfirmed, MessageStatus.Skipped },
            final => Assert.False(MessageStatus.CanMove(final, MessageStatus.Planned)));
    }
}
