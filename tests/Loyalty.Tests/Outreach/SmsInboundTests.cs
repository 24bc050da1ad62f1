using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Outreach;
using Loyalty.Functions.Standalone;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Outreach;

/// <summary><c>SmsInbound</c> with ACS events in the shapes Event Grid and the Functions host may give them. Every test
/// uses its own phone numbers, so the shared Azurite is fine.</summary>
public sealed class SmsInboundTests(Azurite azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private OutreachHost host = null!;

    public async ValueTask InitializeAsync() => host = await OutreachHost.StartAsync(azurite, Now, reset: false);

    public ValueTask DisposeAsync() => host.DisposeAsync();

    private JsonObject Received(string from, string text, string? messageId = null) => SmsEvents.Received(from, text, messageId, host.Clock.GetUtcNow());

    private static JsonObject Invocation(JsonNode @event) => SmsEvents.Invocation(@event);

    private Task<HttpStatusCode> DeliverAsync(JsonObject invocation) => host.DeliverAsync(invocation);

    private async Task<bool> OptedInAsync(string memberId)
    {
        using var response = await host.Client.GetAsync($"/api/members/{memberId}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["smsOptIn"]!.GetValue<bool>();
    }

    // The entries SMS replies made (enrolment through the API made the first).
    private async Task<List<TableEntity>> ConsentHistoryAsync(string memberId) =>
        await azurite.Tables.GetTableClient(Tables.Members)
            .QueryAsync<TableEntity>(e => e.PartitionKey == memberId && e.RowKey.CompareTo("consent|") > 0 && e.RowKey.CompareTo("consent}") < 0)
            .Where(e => e.GetString("Channel") == "sms")
            .ToListAsync();

    [Theory]
    [InlineData("STOP")]
    [InlineData(" stop ")]
    [InlineData("Unsubscribe")]
    [InlineData("退订")]
    [InlineData("стоп")]
    public async Task StopReply_TurnsSmsOptInOff_AndRecordsItInTheMembersHistory(string reply)
    {
        var member = OutreachHost.Member();
        var id = await host.EnrollAsync(member);

        var status = await DeliverAsync(Invocation(Received(member.Phone!, reply)));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(await OptedInAsync(id));
        var record = Assert.Single(await ConsentHistoryAsync(id));
        Assert.Equal((false, true, "sms"), (record.GetBoolean("SmsOptIn"), record.GetBoolean("Changed"), record.GetString("Channel")));
        Assert.DoesNotContain(record.Keys, k => k is "Message" or "Phone" or "From");
    }

    [Fact]
    public async Task StartReply_AfterStop_TurnsItBackOn_AndARedeliveredStopChangesNothing()
    {
        var member = OutreachHost.Member();
        var id = await host.EnrollAsync(member);
        var stop = Invocation(Received(member.Phone!, "STOP", "Incoming_stop1"));

        await DeliverAsync(stop);
        await DeliverAsync(Invocation(Received(member.Phone!, "Start", "Incoming_start1")));
        var redelivered = await DeliverAsync(stop);

        Assert.Equal(HttpStatusCode.OK, redelivered);
        Assert.True(await OptedInAsync(id));
        Assert.Equal(2, (await ConsentHistoryAsync(id)).Count);
    }

    [Fact]
    public async Task StopReply_AsAJsonStringOrAnArrayOrInPascalCase_IsUnderstood()
    {
        var a = OutreachHost.Member();
        var b = OutreachHost.Member();
        var c = OutreachHost.Member();
        var (idA, idB, idC) = (await host.EnrollAsync(a), await host.EnrollAsync(b), await host.EnrollAsync(c));
        var pascal = new JsonObject
        {
            ["Id"] = "e-3",
            ["EventType"] = SmsInboundHandler.Received,
            ["Data"] = new JsonObject { ["MessageId"] = "Incoming_p3", ["From"] = c.Phone![1..], ["Message"] = "QUIT" },
        };

        var asString = await DeliverAsync(HostPayloads.Other(OutreachFunctions.SmsInbound, OutreachFunctions.EventBinding, Received(a.Phone!, "stop").ToJsonString(), Now));
        var asArray = await DeliverAsync(Invocation(new JsonArray(Received(b.Phone!, "END"), pascal)));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (asString, asArray));
        Assert.False(await OptedInAsync(idA));
        Assert.False(await OptedInAsync(idB));
        Assert.False(await OptedInAsync(idC));
    }

    [Fact]
    public async Task Reply_WithoutAKeyword_OrFromAnotherNumber_ChangesNobody()
    {
        var member = OutreachHost.Member();
        var id = await host.EnrollAsync(member);

        var chat = await DeliverAsync(Invocation(Received(member.Phone!, "Can I stop by tomorrow?")));
        var stranger = await DeliverAsync(Invocation(Received(OutreachHost.UniquePhone(), "STOP")));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (chat, stranger));
        Assert.True(await OptedInAsync(id));
        Assert.Empty(await ConsentHistoryAsync(id));
    }

    [Fact]
    public async Task StopReply_ReachesEveryMemberWithThatNumber_ButNotOneWhoChangedTheirNumber()
    {
        var shared = OutreachHost.UniquePhone();
        var first = await host.EnrollAsync(OutreachHost.Member() with { Phone = shared });
        var second = await host.EnrollAsync(OutreachHost.Member() with { Phone = shared });
        var moved = await host.EnrollAsync(OutreachHost.Member() with { Phone = shared });
        await host.EnrollAsync(OutreachHost.Member(), moved);

        await DeliverAsync(Invocation(Received(shared, "STOP")));

        Assert.False(await OptedInAsync(first));
        Assert.False(await OptedInAsync(second));
        Assert.True(await OptedInAsync(moved));
    }

    [Fact]
    public async Task DeliveryReport_UpdatesTheOutboxRowItsTagNames()
    {
        var id = await host.EnrollAsync(OutreachHost.Member());
        var key = new OutboxKey(MemberId.Parse(id), Campaign.WinbackAtRisk, "2026-08-16");
        var outbox = host.App.Service<Outbox>();
        await outbox.AddAsync(new OutboxRow { Key = key, Status = MessageStatus.Planned, PlannedAt = Now, PlannedFor = Now }, CancellationToken.None);
        await outbox.RecordOutcomeAsync(key, MessageStatus.Sent, 1, 0, "Outgoing_1", Now, null, Now, CancellationToken.None);
        var report = new JsonObject
        {
            ["id"] = "e-9",
            ["eventType"] = SmsInboundHandler.DeliveryReport,
            ["data"] = new JsonObject
            {
                ["messageId"] = "Outgoing_1",
                ["from"] = "+18005550100",
                ["to"] = "+14255550123",
                ["deliveryStatus"] = "Delivered",
                ["deliveryStatusDetails"] = "No error.",
                ["receivedTimestamp"] = "2026-11-24T12:00:05Z",
                ["deliveryAttempts"] = new JsonArray(),
                ["tag"] = key.Tag,
            },
        };

        var status = await DeliverAsync(Invocation(report));
        var unknown = await DeliverAsync(Invocation(new JsonObject { ["eventType"] = SmsInboundHandler.DeliveryReport, ["data"] = new JsonObject { ["tag"] = "nobody|birthday|2026" } }));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (status, unknown));
        var row = await host.RowAsync(id, Campaign.WinbackAtRisk, "2026-08-16");
        Assert.Equal(("sent", "Delivered", "No error."), (row.Status, row.DeliveryStatus, row.DeliveryStatusDetails));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 0, 5, TimeSpan.Zero), row.DeliveredAt);
        Assert.Equal("Delivered", Assert.Single(await host.MessagesAsync(id)).DeliveryStatus);
    }

    [Fact]
    public async Task Invocation_WithoutAnEvent_Answers400_AndAnotherEventTypeIsIgnored()
    {
        var empty = await DeliverAsync(Invocation(JsonValue.Create("not json")));
        var other = await DeliverAsync(Invocation(new JsonObject { ["eventType"] = "Microsoft.Storage.BlobCreated", ["data"] = new JsonObject() }));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (empty, other));
    }
}
