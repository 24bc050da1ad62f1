using System.Net;
using Loyalty.Domain.Outreach;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;

namespace Loyalty.Tests.Outreach;

/// <summary><c>ReconcileOutreach</c> on a private Azurite with the fake ACS (which checks every signature): messages left
/// in <c>sending</c> because their send job gave up (it would be in <c>outreach-poison</c>) are confirmed, retried,
/// failed or marked unconfirmed, and never sent twice.</summary>
public sealed class ReconcileOutreachTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    /// <summary>02:00 UTC on 2026-11-24: 10:00 in Shanghai, where the members live and have their birthday.</summary>
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> OneTry = new() { ["Sms:Resilience:MaxRetries"] = "0" };

    [Fact]
    public async Task AMessageACallMayHaveSent_IsAskedAboutWithItsOwnRepeatabilityId_AndConfirmedSentOnce()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night, OneTry);
        var member = await PlanBirthdayAsync(host);

        // ACS fails after it may have taken the message: the send job gives up with the message in sending.
        host.Acs.Reply = sms => sms.Attempt == 1 ? FakeReply.Error(500) : FakeReply.Accept();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.SendAsync(member, Campaign.Birthday, "2026"));
        Assert.Equal(MessageStatus.Sending, (await host.RowAsync(member, Campaign.Birthday, "2026")).Status);

        var early = await ReconcileAsync(host);
        host.Clock.Advance(TimeSpan.FromHours(1));
        var late = await ReconcileAsync(host);

        Assert.Contains("left for the next run 1", early, StringComparison.Ordinal);
        Assert.Contains("confirmed sent 1", late, StringComparison.Ordinal);
        var row = await host.RowAsync(member, Campaign.Birthday, "2026");
        var sent = Assert.Single(host.Acs.Sent);
        Assert.Equal((MessageStatus.Sent, sent.MessageId), (row.Status, row.MessageId));
        Assert.Equal(2, host.Acs.Received.Count(r => r.RequestId == sent.RequestId));
        Assert.Contains("looked at 0 messages", await ReconcileAsync(host), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMessageWhoseCallsACSRefusedUnseen_IsPlannedAgainWithANewRepeatabilityId_AndSentInTheSamePeriod()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night, OneTry);
        var member = await PlanBirthdayAsync(host);

        // Wrong credentials: every attempt of the job is refused before ACS looks at it; the job gives up.
        host.Acs.Reply = _ => FakeReply.Error(401);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.SendAsync(member, Campaign.Birthday, "2026"));
        }

        var refused = await host.RowAsync(member, Campaign.Birthday, "2026");
        Assert.Equal((MessageStatus.Sending, 5, 5), (refused.Status, refused.Calls, refused.Refused));

        // The key is fixed; an hour later the job runs.
        host.Acs.Reply = _ => FakeReply.Accept();
        host.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Contains("retried 1", await ReconcileAsync(host), StringComparison.Ordinal);
        Assert.Equal(MessageStatus.Planned, (await host.RowAsync(member, Campaign.Birthday, "2026")).Status);

        await host.DeliverDueAsync();

        var row = await host.RowAsync(member, Campaign.Birthday, "2026");
        var sent = Assert.Single(host.Acs.Sent);
        Assert.Equal(MessageStatus.Sent, row.Status);
        Assert.NotEqual(refused.RepeatabilityRequestId?.ToString("D"), sent.RequestId);
        Assert.Equal(row.RepeatabilityRequestId?.ToString("D"), sent.RequestId);
    }

    [Fact]
    public async Task MessagesACSNoLongerKnowsOrRefuses_AreMarkedUnconfirmedOrFailed_WithTheReason_AndNotSent()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night, OneTry);
        var forgotten = await PlanBirthdayAsync(host);
        var invalid = await PlanBirthdayAsync(host);

        // ACS fails after it may have looked at them; the jobs give up.
        host.Acs.Reply = _ => FakeReply.Error(500);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.SendAsync(forgotten, Campaign.Birthday, "2026"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.SendAsync(invalid, Campaign.Birthday, "2026"));

        host.Acs.Reply = sms => sms.Tag!.StartsWith(forgotten, StringComparison.Ordinal)
            ? FakeReply.Error(412)
            : FakeReply.RecipientFailure(400, "Invalid phone number");
        host.Clock.Advance(TimeSpan.FromHours(1));
        var run = await ReconcileAsync(host);

        Assert.Contains("failed 1, unconfirmed 1", run, StringComparison.Ordinal);
        var unconfirmed = await host.RowAsync(forgotten, Campaign.Birthday, "2026");
        var failed = await host.RowAsync(invalid, Campaign.Birthday, "2026");
        Assert.Equal(MessageStatus.Unconfirmed, unconfirmed.Status);
        Assert.StartsWith("unconfirmed", unconfirmed.Reason, StringComparison.Ordinal);
        Assert.Equal(MessageStatus.Failed, failed.Status);
        Assert.Contains("Invalid phone number", failed.Reason, StringComparison.Ordinal);
        Assert.Empty(host.Acs.Sent);
    }

    private static async Task<string> PlanBirthdayAsync(OutreachHost host)
    {
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.Planner.BirthdaysAsync(CancellationToken.None);
        Assert.Equal(MessageStatus.Planned, (await host.RowAsync(member, Campaign.Birthday, "2026")).Status);
        return member;
    }

    private static async Task<string> ReconcileAsync(OutreachHost host)
    {
        using var response = await host.Client.PostJsonAsync("/ReconcileOutreach", Fixtures.Load("Functions/timer.json").ToJsonString());
        return (await response.ReadInvocationResultAsync(HttpStatusCode.OK))[0];
    }
}
