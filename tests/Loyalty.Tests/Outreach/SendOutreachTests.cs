using System.Diagnostics.Metrics;
using System.Net;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Telemetry;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace Loyalty.Tests.Outreach;

/// <summary><c>SendOutreach</c> through the real pipeline: consent, quiet hours, frequency cap, priority, and what ACS
/// answers, on a private Azurite and a fake ACS that checks every signature.</summary>
public sealed class SendOutreachTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    /// <summary>02:00 UTC on 2026-11-24: 10:00 in Shanghai, so a Shanghai member's window is open.</summary>
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static readonly CancellationToken None = CancellationToken.None;

    private static DateTimeOffset Utc(int month, int day, int hour) => new(2026, month, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Send_MemberOptedOutOrRemovedTheirPhoneSincePlanning_SkipsWithTheReason_AndSendsNothing()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        using var messages = new MetricCollector<long>(host.App.Service<IMeterFactory>(), LoyaltyMetrics.MeterName, "loyalty.outreach.messages");
        var optedOut = OutreachHost.Member("Asia/Shanghai", "--11-24");
        var optedOutId = await host.EnrollAsync(optedOut);
        var noPhone = OutreachHost.Member("Asia/Shanghai", "--11-24");
        var noPhoneId = await host.EnrollAsync(noPhone);
        await host.Planner.BirthdaysAsync(None);
        await host.EnrollAsync(optedOut with { SmsOptIn = false }, optedOutId);
        await host.EnrollAsync(noPhone with { Phone = null }, noPhoneId);

        var delivered = await host.DeliverDueAsync();

        Assert.Equal(2, delivered.Count);
        Assert.Empty(host.Acs.Received);
        Assert.Equal(("skipped", "no-consent"), Status(Assert.Single(await host.MessagesAsync(optedOutId))));
        Assert.Equal(("skipped", "no-phone"), Status(Assert.Single(await host.MessagesAsync(noPhoneId))));
        var counted = messages.GetMeasurementSnapshot();
        Assert.Equal(2, counted.Where(m => Equals(m.Tags["status"], "planned")).Sum(m => m.Value));
        Assert.Equal(1, counted.Where(m => Equals(m.Tags["status"], "skipped") && Equals(m.Tags["reason"], "no-consent")).Sum(m => m.Value));
        Assert.All(counted, m => Assert.Equal("birthday", m.Tags["campaign"]));
    }

    [Fact]
    public async Task Send_At23LocalTime_IsDeferredToTenTheNextMorning_NotDropped()
    {
        // 03:59Z on Nov 24 is 19:59 on Nov 23 in Los Angeles: the window is open as the planner runs.
        await using var host = await OutreachHost.StartAsync(azurite, Utc(11, 24, 3).AddMinutes(59));
        var member = await host.EnrollAsync(OutreachHost.Member("America/Los_Angeles"));
        await host.BuyAsync(member, host.Clock.GetUtcNow().AddDays(-100));
        await host.Planner.WinBackAsync(None);
        var period = (await host.MessagesAsync(member))[0].Period;

        // The job is picked up late: 23:00 there.
        host.Clock.SetUtcNow(Utc(11, 24, 7));
        var late = await host.SendAsync(member, Campaign.WinbackAtRisk, period);

        Assert.Equal(HttpStatusCode.OK, late);
        Assert.Empty(host.Acs.Received);
        var deferred = await host.RowAsync(member, Campaign.WinbackAtRisk, period);
        Assert.Equal(("planned", "quiet-hours"), (deferred.Status, deferred.Reason));
        Assert.Equal(Utc(11, 24, 18), deferred.PlannedFor); // 10:00 on Nov 24 there
        // The planner's job (this test handed its content over itself), and the deferred one, invisible until 18:00Z.
        Assert.Equal((2, 1), await host.QueuedAsync());

        host.Clock.SetUtcNow(Utc(11, 24, 18));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.WinbackAtRisk, period));

        var sms = Assert.Single(host.Acs.Sent);
        Assert.StartsWith("We miss you, Alice! Your Plain points balance of 100 is waiting.", sms.Message, StringComparison.Ordinal);
        var sent = await host.RowAsync(member, Campaign.WinbackAtRisk, period);
        Assert.Equal(("sent", Utc(11, 24, 18)), (sent.Status, sent.SentAt!.Value));
    }

    [Fact]
    public async Task FrequencyCap_SecondMessageTheSameLocalDay_WaitsForTheNextDaysWindow()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(member, Night.AddDays(-200));
        await host.Planner.WinBackAsync(None);
        var period = (await host.MessagesAsync(member))[0].Period;
        await host.BuyAsync(member, Night.AddMonths(-12).AddDays(5), 40m);
        await host.Planner.ExpiryWarningsAsync(None);

        // The expiry warning went out this morning (from another job); now the win-back job comes.
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.ExpiryWarning, "2026-11-29"));
        host.Clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.WinbackLapsed, period));

        Assert.Single(host.Acs.Sent);
        var waiting = await host.RowAsync(member, Campaign.WinbackLapsed, period);
        Assert.Equal(("planned", "daily-cap", Utc(11, 25, 2)), (waiting.Status, waiting.Reason, waiting.PlannedFor));

        host.Clock.SetUtcNow(Utc(11, 25, 2));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.WinbackLapsed, period));
        Assert.Equal(2, host.Acs.Sent.Count);
    }

    [Fact]
    public async Task FrequencyCap_MaxPerWeekReached_WaitsUntilTheOldestMessageIsAWeekOld()
    {
        // program.outreach.json allows 2 a week.
        await using var host = await OutreachHost.StartAsync(azurite, Night, programFile: "program.outreach.json");
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        foreach (var days in new[] { 15, 20, 25 })
        {
            await host.BuyAsync(member, Night.AddMonths(-12).AddDays(days), days);
        }

        await host.BuyAsync(member, Night.AddHours(-1));
        await host.Planner.ExpiryWarningsAsync(None);
        string[] periods = ["2026-12-09", "2026-12-14", "2026-12-19"];

        for (var day = 0; day < 3; day++)
        {
            host.Clock.SetUtcNow(Night.AddDays(day));
            foreach (var period in periods)
            {
                Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.ExpiryWarning, period));
            }
        }

        Assert.Equal(2, host.Acs.Sent.Count);
        var third = Assert.Single(await host.MessagesAsync(member), m => m.Status == "planned");
        Assert.Equal(("weekly-cap", Night.AddDays(7)), (third.Reason, third.PlannedFor));

        host.Clock.SetUtcNow(Night.AddDays(7));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.ExpiryWarning, third.Period));
        Assert.Equal(3, host.Acs.Sent.Count);
    }

    [Fact]
    public async Task Priority_BirthdayGoesFirst_ExpiryWarningPlannedTheSameDayWaitsEvenWhenItsJobComesFirst()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.BuyAsync(member, Night.AddMonths(-12).AddDays(5), 40m);
        await host.BuyAsync(member, Night.AddHours(-1));
        await host.Planner.ExpiryWarningsAsync(None);
        await host.Planner.BirthdaysAsync(None);

        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.ExpiryWarning, "2026-11-29"));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.Birthday, "2026"));

        var sms = Assert.Single(host.Acs.Sent);
        Assert.StartsWith("Happy birthday, Alice!", sms.Message, StringComparison.Ordinal);
        var expiry = await host.RowAsync(member, Campaign.ExpiryWarning, "2026-11-29");
        Assert.Equal(("planned", "priority", Utc(11, 25, 2)), (expiry.Status, expiry.Reason, expiry.PlannedFor));

        host.Clock.SetUtcNow(Utc(11, 25, 2));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.ExpiryWarning, "2026-11-29"));
        Assert.Equal(2, host.Acs.Sent.Count);
        Assert.Contains(host.Acs.Sent, s => s.Message.Contains("40 of your points expire on November 29, 2026", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_BirthdayJobArrivingTheDayAfter_IsSkippedAsPassed()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.Planner.BirthdaysAsync(None);

        host.Clock.SetUtcNow(Utc(11, 25, 2));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.Birthday, "2026"));

        Assert.Empty(host.Acs.Received);
        Assert.Equal(("skipped", "birthday-passed"), Status(Assert.Single(await host.MessagesAsync(member))));
    }

    [Fact]
    public async Task DryRun_RendersAndRecordsSent_WithoutCallingAcs()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night, new Dictionary<string, string?> { ["Outreach:DryRun"] = "true" });
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24", "ru", "Анна"));
        await host.Planner.BirthdaysAsync(None);

        await host.DeliverDueAsync();

        Assert.Empty(host.Acs.Received);
        var row = await host.RowAsync(member, Campaign.Birthday, "2026");
        Assert.Equal(("sent", "dry-run"), (row.Status, row.Reason));
        Assert.StartsWith("dry-run-", row.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_CrashAfterAcsAcceptedButBeforeTheOutcomeWasRecorded_RetrySendsNoSecondSms()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.Planner.BirthdaysAsync(None);

        // ACS takes the message, then its answer is slow; the invocation dies waiting (the host gave up on it).
        host.Acs.Reply = _ => FakeReply.Accept(answerAfter: TimeSpan.FromSeconds(5));
        using (var crash = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.SendAsync(member, Campaign.Birthday, "2026", crash.Token));
        }

        await Eventually.TrueAsync(() => host.Acs.Sent.Count == 1, "ACS has the message");
        Assert.Equal("sending", (await host.RowAsync(member, Campaign.Birthday, "2026")).Status);

        host.Acs.Reply = _ => FakeReply.Accept();
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.Birthday, "2026"));

        var sent = Assert.Single(host.Acs.Sent);
        Assert.Equal(2, host.Acs.Received.Count);
        Assert.Single(host.Acs.Received.Select(r => (r.RequestId, r.FirstSent)).Distinct());
        var row = await host.RowAsync(member, Campaign.Birthday, "2026");
        Assert.Equal(("sent", sent.MessageId), (row.Status, row.MessageId));
    }

    [Fact]
    public async Task Send_AcsUnavailable_Answers503_AndTheRetryReusesTheRepeatabilityIdAndSendsOnce()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.Planner.BirthdaysAsync(None);
        host.Acs.Reply = r => r.Attempt == 1 ? FakeReply.Error(503) : FakeReply.Accept();

        var first = await host.SendAsync(member, Campaign.Birthday, "2026");
        var pending = await host.RowAsync(member, Campaign.Birthday, "2026");
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        var retry = await host.SendAsync(member, Campaign.Birthday, "2026");
        var again = await host.SendAsync(member, Campaign.Birthday, "2026");

        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK, HttpStatusCode.OK), (first, retry, again));
        Assert.Equal("sending", pending.Status);
        Assert.StartsWith("not sent yet (503)", pending.Reason, StringComparison.Ordinal);
        Assert.Equal(2, host.Acs.Received.Count);
        Assert.Single(host.Acs.Received.Select(r => (r.RequestId, r.FirstSent)).Distinct());
        Assert.Single(host.Acs.Sent);
        var row = await host.RowAsync(member, Campaign.Birthday, "2026");
        Assert.Equal(("sent", 2), (row.Status, row.Attempts));
    }

    [Fact]
    public async Task Send_AcsRejectsTheNumber_RecordsFailed_AndNeverTriesAgain()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        await host.Planner.BirthdaysAsync(None);
        host.Acs.Reply = _ => FakeReply.RecipientFailure(400, "Invalid phone number +14255550100");

        var first = await host.SendAsync(member, Campaign.Birthday, "2026");
        var again = await host.SendAsync(member, Campaign.Birthday, "2026");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first, again));
        Assert.Single(host.Acs.Received);
        var row = Assert.Single(await host.MessagesAsync(member));
        Assert.Equal("failed", row.Status);
        Assert.StartsWith("rejected by ACS (400): Invalid phone number", row.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("5550100", row.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendOutreach_MessageThatIsNotASendJob_Answers400_SoItEndsInPoison()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);

        Assert.Equal(HttpStatusCode.BadRequest, await host.SendAsync("m-1", Campaign.Birthday, "last-year"));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync("m-unknown", Campaign.Birthday, "2026"));
    }

    [Fact]
    public async Task MessagesApi_UnknownMember_Answers404Problem()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night, reset: false);

        using var response = await host.Client.GetAsync($"/api/members/{A.Id("nobody")}/messages");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/problems/member-not-found", (await response.ReadProblemAsync()).Type);
    }

    [Fact]
    public async Task Logs_NeverContainThePhoneNumberOrTheMessageText()
    {
        var logs = new LogCapture();
        await using var host = await OutreachHost.StartAsync(azurite, Night, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var member = OutreachHost.Member("Asia/Shanghai", "--11-24", "zh-CN", "王芳");
        var id = await host.EnrollAsync(member);
        var other = OutreachHost.Member("Asia/Shanghai", "--11-24");
        var otherId = await host.EnrollAsync(other);
        await host.Planner.BirthdaysAsync(None);
        host.Acs.Reply = r => r.To == other.Phone ? FakeReply.RecipientFailure(400, $"Invalid phone number {other.Phone}") : r.Attempt == 1 ? FakeReply.Error(503) : FakeReply.Accept();

        await host.SendAsync(id, Campaign.Birthday, "2026");
        await host.SendAsync(id, Campaign.Birthday, "2026");
        await host.SendAsync(otherId, Campaign.Birthday, "2026");
        using var stop = await host.Client.InvokeAsync("SmsInbound", new System.Text.Json.Nodes.JsonObject
        {
            ["Data"] = new System.Text.Json.Nodes.JsonObject
            {
                ["event"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["id"] = "e-1",
                    ["eventType"] = "Microsoft.Communication.SMSReceived",
                    ["data"] = new System.Text.Json.Nodes.JsonObject { ["from"] = member.Phone, ["message"] = "STOP", ["messageId"] = "Incoming_1" },
                },
            },
        });

        var text = Assert.Single(host.Acs.Sent).Message;
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Contains(logs.Lines, l => l.Contains(id, StringComparison.Ordinal));
        foreach (var secret in new[] { member.Phone!, member.Phone![2..], other.Phone!, other.Phone![2..], text, "生日快乐", "王芳" })
        {
            Assert.DoesNotContain(logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static (string Status, string? Reason) Status(Loyalty.Functions.Outreach.OutreachMessage m) => (m.Status, m.Reason);
}
