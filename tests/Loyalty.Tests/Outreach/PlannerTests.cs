using System.Net;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Outreach;

/// <summary>The nightly planners on a private Azurite (they read whole index partitions), with the real pipeline and a
/// fake ACS that checks every request's signature.</summary>
public sealed class PlannerTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    /// <summary>The planners' nightly hour: 02:00 UTC on 2026-11-24.</summary>
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Birthdays_InShanghaiMoscowAndLosAngeles_ArePlannedIntoEachMembersOwnWindow()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var shanghai = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24", "zh-CN", "小明"));    // 10:00 there: today, open now
        var moscow = await host.EnrollAsync(OutreachHost.Member("Europe/Moscow", "1990-11-24", "ru", "Иван"));     // 05:00 there: today, opens 07:00Z
        var losAngeles = await host.EnrollAsync(OutreachHost.Member("America/Los_Angeles", "--11-24"));           // Nov 23 18:00 there: tomorrow
        var laToday = await host.EnrollAsync(OutreachHost.Member("America/Los_Angeles", "--11-23", firstName: "Bo")); // Nov 23 there: today, open
        var notYet = await host.EnrollAsync(OutreachHost.Member("UTC", "--11-26"));
        var passed = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-23"));

        var run = await host.Planner.BirthdaysAsync(None);

        Assert.Equal(4, run.Planned);
        Assert.Equal(Night, (await host.RowAsync(shanghai, Campaign.Birthday, "2026")).PlannedFor);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 7, 0, 0, TimeSpan.Zero), (await host.RowAsync(moscow, Campaign.Birthday, "2026")).PlannedFor);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero), (await host.RowAsync(losAngeles, Campaign.Birthday, "2026")).PlannedFor);
        Assert.Equal(Night, (await host.RowAsync(laToday, Campaign.Birthday, "2026")).PlannedFor);
        Assert.Empty(await host.MessagesAsync(notYet));
        Assert.Empty(await host.MessagesAsync(passed));
        Assert.Equal((4, 2), await host.QueuedAsync());

        var delivered = await host.DeliverDueAsync();

        Assert.Equal(new[] { laToday, shanghai }.Order(StringComparer.Ordinal), delivered.Select(j => j.MemberId!).Order(StringComparer.Ordinal));
        Assert.Equal(2, host.Acs.Sent.Count);
        Assert.Equal(0, host.Acs.Unauthorized);
        Assert.Contains(host.Acs.Sent, s => s.Message.StartsWith("小明，生日快乐！Plain全体员工", StringComparison.Ordinal) && s.Message.EndsWith("回复STOP退订", StringComparison.Ordinal));
        Assert.Contains(host.Acs.Sent, s => s.Message.StartsWith("Happy birthday, Bo! Everyone at Plain", StringComparison.Ordinal));
        var sent = Assert.Single(await host.MessagesAsync(shanghai));
        Assert.Equal(("birthday", "2026", "sent", Night), (sent.Campaign, sent.Period, sent.Status, sent.SentAt!.Value));
        Assert.Equal("planned", Assert.Single(await host.MessagesAsync(moscow)).Status);

        // At 10:00 in Moscow the queue hands over the Moscow job; the greeting is in Russian.
        host.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 24, 7, 0, 0, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(moscow, Campaign.Birthday, "2026"));
        Assert.Contains(host.Acs.Sent, s => s.Message.StartsWith("С днём рождения, Иван! Команда Plain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Planners_RunTwiceAndInParallel_PlanOneRowAndOneJobPerMemberAndReason_AndSendOneSmsEach()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var birthdays = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            birthdays.Add(await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24")));
        }

        var expiring = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(expiring, Night.AddMonths(-12).AddDays(10));
        await host.BuyAsync(expiring, Night.AddDays(-1));
        var dormant = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(dormant, Night.AddDays(-100));

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => new[]
        {
            host.Planner.BirthdaysAsync(None), host.Planner.ExpiryWarningsAsync(None), host.Planner.WinBackAsync(None),
        }));
        var again = await Task.WhenAll(host.Planner.BirthdaysAsync(None), host.Planner.ExpiryWarningsAsync(None), host.Planner.WinBackAsync(None));

        Assert.Equal(6, runs.Sum(r => r.Planned));
        Assert.Equal(0, again.Sum(r => r.Planned + r.Skipped + r.Requeued));
        Assert.Equal(6, (await host.QueuedAsync()).All);
        foreach (var member in birthdays)
        {
            Assert.Equal("birthday", Assert.Single(await host.MessagesAsync(member)).Campaign);
        }

        Assert.Equal("expiry-warning", Assert.Single(await host.MessagesAsync(expiring)).Campaign);
        Assert.Equal("winback-at-risk", Assert.Single(await host.MessagesAsync(dormant)).Campaign);

        var delivered = await host.DeliverDueAsync();
        await Task.WhenAll(host.Planner.BirthdaysAsync(None), host.Planner.ExpiryWarningsAsync(None), host.Planner.WinBackAsync(None));

        Assert.Equal(6, delivered.Count);
        Assert.Equal(6, host.Acs.Sent.Count);
        Assert.Equal(6, host.Acs.Received.Count);
        Assert.Equal(6, host.Acs.Sent.Select(s => s.To).Distinct().Count());
        Assert.Equal((0, 0), await host.QueuedAsync());
    }

    [Fact]
    public async Task Birthday_Feb29InACommonYear_IsCelebratedOnFeb28()
    {
        // 2027-02-27 02:00Z is 10:00 in Shanghai: the Feb 29 birthday falls on tomorrow, Feb 28.
        await using var host = await OutreachHost.StartAsync(azurite, new DateTimeOffset(2027, 2, 27, 2, 0, 0, TimeSpan.Zero));
        var leapling = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "2000-02-29"));
        var march = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--03-01"));

        var run = await host.Planner.BirthdaysAsync(None);

        Assert.Equal(1, run.Planned);
        var row = await host.RowAsync(leapling, Campaign.Birthday, "2027");
        Assert.Equal(new DateTimeOffset(2027, 2, 28, 2, 0, 0, TimeSpan.Zero), row.PlannedFor);
        Assert.Empty(await host.MessagesAsync(march));

        // The day after (Feb 28 there, the birthday), it goes out; on Mar 1 it would have been too late.
        host.Clock.SetUtcNow(new DateTimeOffset(2027, 2, 28, 2, 0, 0, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(leapling, Campaign.Birthday, "2027"));
        Assert.Equal("sent", Assert.Single(await host.MessagesAsync(leapling)).Status);
        Assert.Single(host.Acs.Sent);
    }

    [Fact]
    public async Task Birthday_WindowAlreadyClosedOnTheDay_IsRecordedAsSkipped_AndNothingIsQueued()
    {
        // 13:30Z is 21:30 in Shanghai: the birthday's window closed at 20:00.
        await using var host = await OutreachHost.StartAsync(azurite, new DateTimeOffset(2026, 11, 24, 13, 30, 0, TimeSpan.Zero));
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));

        var run = await host.Planner.BirthdaysAsync(None);

        Assert.Equal((0, 1), (run.Planned, run.Skipped));
        var row = Assert.Single(await host.MessagesAsync(member));
        Assert.Equal(("skipped", "window-closed"), (row.Status, row.Reason));
        Assert.Equal((0, 0), await host.QueuedAsync());
    }

    [Fact]
    public async Task Birthday_MemberWithoutConsentOrPhone_IsRecordedAsSkippedWithTheReason()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var optedOut = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24") with { SmsOptIn = false });
        var noPhone = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24") with { Phone = null });

        var run = await host.Planner.BirthdaysAsync(None);

        Assert.Equal((0, 2), (run.Planned, run.Skipped));
        Assert.Equal("no-consent", Assert.Single(await host.MessagesAsync(optedOut)).Reason);
        Assert.Equal("no-phone", Assert.Single(await host.MessagesAsync(noPhone)).Reason);
        Assert.Equal((0, 0), await host.QueuedAsync());
    }

    [Fact]
    public async Task BirthdayBonus_IsCreditedOnTheDayOnly_AndOncePerYear()
    {
        // UTC member: at 02:00 on Nov 23 the birthday (Nov 24) is tomorrow.
        await using var host = await OutreachHost.StartAsync(azurite, Night.AddDays(-1), programFile: "program.outreach.json");
        var member = await host.EnrollAsync(OutreachHost.Member("UTC", "1985-11-24"));

        await host.Planner.BirthdaysAsync(None);
        var before = await host.Client.BalanceAsync(member);
        host.Clock.SetUtcNow(Night);
        await Task.WhenAll(host.Planner.BirthdaysAsync(None), host.Planner.BirthdaysAsync(None));
        await host.Planner.BirthdaysAsync(None);

        Assert.Equal(0, before);
        Assert.Equal(50, await host.Client.BalanceAsync(member));
        var bonus = Assert.Single(await host.Client.LedgerAsync(member));
        Assert.Equal(("bonus", "birthday"), (bonus["kind"]!.GetValue<string>(), bonus["note"]!.GetValue<string>()));
        Assert.Single(await host.MessagesAsync(member));

        // At 10:00 the greeting shows the balance with the bonus.
        host.Clock.SetUtcNow(Night.AddHours(8));
        Assert.Equal(HttpStatusCode.OK, await host.SendAsync(member, Campaign.Birthday, "2026"));
        Assert.Contains("Your points balance: 50.", Assert.Single(host.Acs.Sent).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiryWarnings_OnePerExpiryDayWithinTheWarningDays_WithPointsAndDate()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(member, Night.AddMonths(-12).AddDays(10), 120m);  // expires 2026-12-04
        await host.BuyAsync(member, Night.AddMonths(-12).AddDays(20), 30m);   // expires 2026-12-14
        await host.BuyAsync(member, Night.AddMonths(-12).AddDays(40), 70m);   // expires 2027-01-03: beyond 30 days

        var run = await host.Planner.ExpiryWarningsAsync(None);

        Assert.Equal(2, run.Planned);
        Assert.Equal(["2026-12-04", "2026-12-14"], (await host.MessagesAsync(member)).Select(m => m.Period).Order(StringComparer.Ordinal));
        Assert.Equal(120, (await host.RowAsync(member, Campaign.ExpiryWarning, "2026-12-04")).ExpiringPoints);

        // Both are due now; a day holds one message, so the second waits for tomorrow's window.
        await host.DeliverDueAsync();

        var sms = Assert.Single(host.Acs.Sent);
        var rows = await host.MessagesAsync(member);
        var sent = Assert.Single(rows, r => r.Status == "sent");
        var later = Assert.Single(rows, r => r.Status == "planned");
        Assert.Contains(
            sent.Period == "2026-12-04" ? "120 of your points expire on December 4, 2026" : "30 of your points expire on December 14, 2026",
            sms.Message,
            StringComparison.Ordinal);
        Assert.Equal("daily-cap", later.Reason);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero), later.PlannedFor);
    }

    [Fact]
    public async Task WinBack_SplitsAtRiskAndLapsed_AndANewPurchaseEndsTheDormancy()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var atRisk = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(atRisk, Night.AddDays(-100));
        var lapsed = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(lapsed, Night.AddDays(-200));
        var active = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(active, Night.AddDays(-50));
        var gone = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(gone, Night.AddDays(-400));
        var cameBack = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai"));
        await host.BuyAsync(cameBack, Night.AddDays(-120));

        var run = await host.Planner.WinBackAsync(None);
        await host.BuyAsync(cameBack, Night.AddMinutes(-5));
        await host.DeliverDueAsync();

        Assert.Equal(3, run.Planned);
        var riskRow = Assert.Single(await host.MessagesAsync(atRisk));
        Assert.Equal(("winback-at-risk", "2026-08-16", "sent"), (riskRow.Campaign, riskRow.Period, riskRow.Status));
        var lapsedRow = Assert.Single(await host.MessagesAsync(lapsed));
        Assert.Equal(("winback-lapsed", "sent"), (lapsedRow.Campaign, lapsedRow.Status));
        Assert.Empty(await host.MessagesAsync(active));
        Assert.Empty(await host.MessagesAsync(gone));
        var skipped = Assert.Single(await host.MessagesAsync(cameBack));
        Assert.Equal(("skipped", "purchased-again"), (skipped.Status, skipped.Reason));
        Assert.Equal(2, host.Acs.Sent.Count);
        Assert.Contains(host.Acs.Sent, s => s.Message.StartsWith("We miss you, Alice!", StringComparison.Ordinal));
        Assert.Contains(host.Acs.Sent, s => s.Message.StartsWith("It's been a while, Alice!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Planner_RowPlannedButItsJobLost_EnqueuesItOnTheNextRun()
    {
        await using var host = await OutreachHost.StartAsync(azurite, Night);
        var member = await host.EnrollAsync(OutreachHost.Member("Asia/Shanghai", "--11-24"));
        var key = new OutboxKey(MemberId.Parse(member), Campaign.Birthday, "2026");
        await host.App.Service<Outbox>().AddAsync(
            new OutboxRow { Key = key, Status = MessageStatus.Planned, PlannedAt = Night.AddMinutes(-30), PlannedFor = Night }, None);

        var run = await host.Planner.BirthdaysAsync(None);

        Assert.Equal((0, 1), (run.Planned, run.Requeued));
        Assert.True((await host.RowAsync(member, Campaign.Birthday, "2026")).Enqueued);
        Assert.Equal(member, Assert.Single(await host.DeliverDueAsync()).MemberId);
        Assert.Single(host.Acs.Sent);
    }

    [Fact]
    public async Task Planner_StaleAndErasedHints_PlanNothing_AndAreDroppedOnceSettled()
    {
        // Hints are dropped only once older than the settle time by the storage's own clock: the app runs on real time.
        var now = TimeProvider.System.GetUtcNow();
        var partition = now.ToString("MMdd", System.Globalization.CultureInfo.InvariantCulture);
        await using var host = await OutreachHost.StartAsync(azurite, now);
        var moved = await host.EnrollAsync(OutreachHost.Member("UTC", now.ToString("--MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        await host.EnrollAsync(OutreachHost.Member("UTC", now.AddDays(10).ToString("--MM-dd", System.Globalization.CultureInfo.InvariantCulture)), moved);
        var erased = await host.EnrollAsync(OutreachHost.Member("UTC", now.ToString("--MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        await azurite.Tables.GetTableClient(Tables.Members).UpdateEntityAsync(
            new TableEntity(erased, "member") { ["ErasedAt"] = now.AddHours(-1) }, Azure.ETag.All, TableUpdateMode.Merge);
        var hints = azurite.Tables.GetTableClient(Tables.Birthdays);

        var young = await host.Planner.BirthdaysAsync(None);
        var kept = await hints.QueryAsync<TableEntity>(e => e.PartitionKey == partition).ToListAsync();
        host.Clock.Advance(OutreachPlanner.HintSettle + TimeSpan.FromMinutes(1));
        var settled = await host.Planner.BirthdaysAsync(None);

        // The member whose birthday moved took their old hint away with the change; the erased one's is stale.
        Assert.Equal((0, 0, 1, 0), (young.Planned, young.Skipped, young.Looked, young.Dropped));
        Assert.Equal(erased, Assert.Single(kept).RowKey);
        Assert.Equal((0, 1), (settled.Planned, settled.Dropped));
        Assert.Empty(await hints.QueryAsync<TableEntity>(e => e.PartitionKey == partition).ToListAsync());
        Assert.Empty(await host.MessagesAsync(moved));
        Assert.Empty(host.Acs.Received);
    }
}
