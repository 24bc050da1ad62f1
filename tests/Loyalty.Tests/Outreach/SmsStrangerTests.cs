using System.Net;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Sms;

namespace Loyalty.Tests.Outreach;

/// <summary>Keywords from a number no member has, through the real pipeline on a private Azurite: Event Grid
/// SMS-received payloads into <c>SmsInbound</c>, answers sent by <c>SendOutreach</c> to the fake ACS (which checks each
/// request's signature). HELP and INFO are answered in every language, STOP is confirmed and records nothing, everything
/// else gets nothing; a redelivered event is not answered again, a number gets a few answers a day, the number is in no
/// key and is blanked from the row once sent, and a reply left in sending is resolved by <c>ReconcileOutreach</c>.</summary>
public sealed class SmsStrangerTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private OutreachHost host = null!;

    public async ValueTask InitializeAsync() => host = await OutreachHost.StartAsync(azurite, Now, programFile: "program.consent.json");

    public ValueTask DisposeAsync() => host.DisposeAsync();

    private List<SentSms> SentTo(string phone) => [.. host.Acs.Sent.Where(s => s.To == phone)];

    private MemberId PartitionOf(string phone) => host.App.Service<SmsInboundHandler>().NumberPartition(phone);

    public static TheoryData<string, string> HelpWords() => new()
    {
        { "HELP", "loyalty points and offers by SMS for members. Questions: +1 425 555 0100." },
        { "info", "loyalty points and offers by SMS for members. Questions: +1 425 555 0100." },
        { "帮助", "会员积分与优惠短信。咨询电话：+1 425 555 0100。" },
        { "ПОМОЩЬ", "баллы и предложения по SMS для участников программы. Вопросы: +1 425 555 0100." },
        { "Инфо", "баллы и предложения по SMS для участников программы. Вопросы: +1 425 555 0100." },
    };

    [Theory]
    [MemberData(nameof(HelpWords))]
    public async Task Help_FromANumberNoMemberHas_IsAnsweredOnce_InTheKeywordsLanguage_WithoutTheBalanceLine_AndTheNumberIsKeptOnlyUntilSent(string word, string says)
    {
        var stranger = OutreachHost.UniquePhone();
        var messageId = "Incoming_" + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.OK, await host.TextAsync(stranger, word, messageId));
        Assert.Equal(HttpStatusCode.OK, await host.TextAsync(stranger, word, messageId));
        var planned = await host.App.Service<Outbox>().GetAsync(new OutboxKey(PartitionOf(stranger), Campaign.StrangerHelp, messageId), CancellationToken.None);
        await host.DeliverDueAsync();

        var reply = Assert.Single(SentTo(stranger));
        Assert.Contains("Corner Cafe", reply.Message, StringComparison.Ordinal);
        Assert.Contains(says, reply.Message, StringComparison.Ordinal);
        Assert.Contains("STOP", reply.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BAL", reply.Message, StringComparison.Ordinal);
        Assert.Equal(stranger, planned!.To);
        var sent = await host.App.Service<Outbox>().GetAsync(planned.Key, CancellationToken.None);
        Assert.Equal((MessageStatus.Sent, null), (sent!.Status, sent.To));
        Assert.DoesNotContain(stranger[1..], planned.Key.Tag, StringComparison.Ordinal);
        await AssertNumberStoredNowhereAsync(stranger);
        Assert.Contains("looked at 0 messages", await ReconcileAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_FromANumberNoMemberHas_IsConfirmed_AndRecordsNothing_WhileStartYesAndBalanceGetNothing()
    {
        var stranger = OutreachHost.UniquePhone();

        foreach (var word in new[] { "START", "YES", "BAL", "余额", "ДА", "hello" })
        {
            Assert.Equal(HttpStatusCode.OK, await host.TextAsync(stranger, word));
        }

        await host.DeliverDueAsync();
        Assert.Empty(SentTo(stranger));

        Assert.Equal(HttpStatusCode.OK, await host.TextAsync(stranger, "СТОП"));
        await host.DeliverDueAsync();

        var reply = Assert.Single(SentTo(stranger));
        Assert.Contains("вы отписались", reply.Message, StringComparison.Ordinal);
        var rows = await host.App.Service<Outbox>().ListAsync(PartitionOf(stranger), CancellationToken.None);
        Assert.Equal(Campaign.StopConfirmation, Assert.Single(rows).Key.Campaign);
        await AssertNumberStoredNowhereAsync(stranger);
    }

    [Fact]
    public async Task ANumber_GetsAFewAnswersADay_HoweverManyTimesItAsks_AndMoreTheNextDay()
    {
        var stranger = OutreachHost.UniquePhone();

        for (var i = 0; i < SmsInboundHandler.StrangerRepliesPerDay + 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await host.TextAsync(stranger, i % 2 == 0 ? "HELP" : "STOP"));
        }

        await host.DeliverDueAsync();
        Assert.Equal(SmsInboundHandler.StrangerRepliesPerDay, SentTo(stranger).Count);

        host.Clock.Advance(TimeSpan.FromDays(1));
        await host.TextAsync(stranger, "HELP");
        await host.DeliverDueAsync();
        Assert.Equal(SmsInboundHandler.StrangerRepliesPerDay + 1, SentTo(stranger).Count);
    }

    [Fact]
    public async Task AReplyLeftInSending_IsAskedAboutByTheReconciliation_AndConfirmedSentOnce_ThenForgetsTheNumber()
    {
        var stranger = OutreachHost.UniquePhone();
        var messageId = "Incoming_" + Guid.NewGuid().ToString("N");
        var key = new OutboxKey(PartitionOf(stranger), Campaign.StrangerHelp, messageId);

        // ACS fails after it may have taken the message: the send job gives up with the message in sending.
        host.Acs.Reply = sms => sms.Attempt == 1 ? FakeReply.Error(500) : FakeReply.Accept();
        await host.TextAsync(stranger, "HELP", messageId);
        await host.DeliverDueAsync();
        Assert.Equal((MessageStatus.Sending, stranger), await StatusAsync(key));

        host.Clock.Advance(TimeSpan.FromHours(1));
        var run = await ReconcileAsync();

        Assert.Contains("confirmed sent 1", run, StringComparison.Ordinal);
        var sent = Assert.Single(SentTo(stranger));
        Assert.Equal(2, host.Acs.Received.Count(r => r.RequestId == sent.RequestId));
        Assert.Equal((MessageStatus.Sent, (string?)null), await StatusAsync(key));
    }

    [Fact]
    public async Task TheNightlyCleanup_DeletesOldFinalRepliesAndPastCounters_OfNumbersOnly_KeepsYoungPlannedAndSending_AndASecondRunDoesNothing()
    {
        var outbox = host.App.Service<Outbox>();
        var member = OutreachHost.Member();
        var memberId = await host.EnrollAsync(member);
        await host.TextAsync(member.Phone!, "HELP");
        await host.TextAsync(member.Phone!, "BAL");
        var answered = OutreachHost.UniquePhone();
        await host.TextAsync(answered, "HELP");
        await host.DeliverDueAsync();

        // A reply ACS may have taken but never confirmed stays in sending; a reply whose send job was lost stays planned.
        var unsure = OutreachHost.UniquePhone();
        host.Acs.Reply = _ => FakeReply.Error(500);
        await host.TextAsync(unsure, "HELP", "Incoming_unsure");
        await host.DeliverDueAsync();
        host.Acs.Reply = _ => FakeReply.Accept();
        var lost = new OutboxKey(PartitionOf(OutreachHost.UniquePhone()), Campaign.StrangerHelp, "Incoming_lost");
        await outbox.AddAsync(new OutboxRow { Key = lost, Status = MessageStatus.Planned, PlannedAt = Now, PlannedFor = Now, To = "+14255550000" }, CancellationToken.None);

        // Past the retention (7 days by default), a number answered today is still young.
        host.Clock.Advance(TimeSpan.FromDays(8));
        var young = OutreachHost.UniquePhone();
        await host.TextAsync(young, "INFO", "Incoming_young");
        await host.DeliverDueAsync();
        var membersRows = await RowsAsync(memberId);
        Assert.Contains(membersRows, r => r.StartsWith(Outbox.RowPrefix + "help|", StringComparison.Ordinal));
        Assert.Contains(membersRows, r => r.StartsWith("replies|balance|", StringComparison.Ordinal));

        var first = await CleanAsync();

        Assert.Contains("number-cleanup for 2026-12-02: looked at 2 numbers, changed 2, failed 0.", first, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync(PartitionOf(answered).Value));
        var unsureKey = new OutboxKey(PartitionOf(unsure), Campaign.StrangerHelp, "Incoming_unsure");
        Assert.Equal([Outbox.RowKeyOf(unsureKey)], await RowsAsync(unsureKey.Member.Value));
        Assert.Equal(MessageStatus.Sending, (await outbox.GetAsync(unsureKey, CancellationToken.None))!.Status);
        Assert.Equal(MessageStatus.Planned, (await outbox.GetAsync(lost, CancellationToken.None))!.Status);
        var youngKey = new OutboxKey(PartitionOf(young), Campaign.StrangerHelp, "Incoming_young");
        Assert.Equal([Outbox.RowKeyOf(youngKey), Outbox.NumberCounter(new DateOnly(2026, 12, 2))], await RowsAsync(youngKey.Member.Value));
        Assert.Equal(MessageStatus.Sent, (await outbox.GetAsync(youngKey, CancellationToken.None))!.Status);
        Assert.Equal(membersRows, await RowsAsync(memberId));

        Assert.Contains("number-cleanup for 2026-12-02: looked at 0 numbers, changed 0, failed 0.", await CleanAsync(), StringComparison.Ordinal);
        Assert.Equal(membersRows, await RowsAsync(memberId));
    }

    private async Task<string> CleanAsync()
    {
        using var response = await host.Client.PostJsonAsync("/CleanEvents", Fixtures.Load("Functions/timer.json").ToJsonString());
        return (await response.ReadInvocationResultAsync(HttpStatusCode.OK))[0];
    }

    private async Task<List<string>> RowsAsync(string partition)
    {
        var rows = new List<string>();
        await foreach (var row in host.Azurite.Tables.GetTableClient(Tables.Members).QueryAsync<TableEntity>(r => r.PartitionKey == partition, select: ["RowKey"]))
        {
            rows.Add(row.RowKey);
        }

        return rows;
    }

    private async Task<string> ReconcileAsync()
    {
        using var response = await host.Client.PostJsonAsync("/ReconcileOutreach", Fixtures.Load("Functions/timer.json").ToJsonString());
        return (await response.ReadInvocationResultAsync(HttpStatusCode.OK))[0];
    }

    private async Task<(string Status, string? To)> StatusAsync(OutboxKey key)
    {
        var row = await host.App.Service<Outbox>().GetAsync(key, CancellationToken.None);
        return (row!.Status, row.To);
    }

    // Once answered, the number is in no key and no value of any table.
    private async Task AssertNumberStoredNowhereAsync(string phone)
    {
        foreach (var name in Tables.All)
        {
            await foreach (var row in host.Azurite.Tables.GetTableClient(name).QueryAsync<TableEntity>())
            {
                Assert.DoesNotContain(phone[1..], row.PartitionKey + row.RowKey, StringComparison.Ordinal);
                Assert.DoesNotContain(row, p => p.Value is string s && s.Contains(phone[1..], StringComparison.Ordinal));
            }
        }
    }
}
