using System.Net;
using System.Text.Json;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Events;

/// <summary><c>Events__Queue</c> sends events to a Storage queue instead of a topic (local development): one message per
/// event, the CloudEvent's JSON, in order.</summary>
public sealed class EventQueueTests(Azurite azurite)
{
    [Fact]
    public async Task QueueSetting_SendsEachEvent_AsOneCloudEventMessage_InOrder()
    {
        var queueName = $"events-{Guid.NewGuid():N}"[..20];
        await using var app = new LoyaltyApp(azurite, settings: new Dictionary<string, string?> { ["Events:Queue"] = queueName });
        var client = await app.StartAsync();
        var member = A.Id("m");
        using (var enrolled = await client.PutJsonAsync($"/api/members/{member}", "{}"))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        using (var bought = await client.PostJsonAsync("/api/purchases", A.Purchase(member).ToJson()))
        {
            Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        }

        var queue = azurite.Queues.GetQueueClient(queueName);
        await Eventually.TrueAsync(async () => await queue.ExistsAsync() && await queue.CountAsync() >= 2, "two messages are on the queue", TimeSpan.FromSeconds(20));
        var events = (await queue.ReadAllAsync()).Select(text => JsonDocument.Parse(text).RootElement).ToList();

        Assert.Equal(["loyalty.member.enrolled", "loyalty.points.earned"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["0000000000000000001", "0000000000000000002"], events.Select(e => e.GetProperty("sequence").GetString()));
        Assert.All(events, e => Assert.Equal("1.0", e.GetProperty("specversion").GetString()));
        Assert.All(events, e => Assert.Equal($"members/{member}", e.GetProperty("subject").GetString()));
        Assert.Equal(10, events[1].GetProperty("data").GetProperty("points").GetInt64());
    }
}
