using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Loyalty.Adapters.Messaging;
using Loyalty.Functions.Invocations;
using Loyalty.Functions.Standalone;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Tests.Standalone;

/// <summary>The standalone runner on Service Bus: with <c>ServiceBusConnection</c> set it receives from the queue with
/// the SDK's processor and makes the Functions host's call to <c>RecordPurchaseFromServiceBus</c>, completing on success
/// and abandoning otherwise, so that the queue's max delivery count dead-letters. The namespace is
/// <see cref="FakeServiceBus"/> (the SDK's types subclassed); the app, its HTTP call and storage are real.</summary>
public sealed class ServiceBusRunnerTests(Azurite azurite)
{
    private const string Function = "RecordPurchaseFromServiceBus";

    [Fact]
    public async Task ServiceBusRunner_ValidDuplicateAndBadPurchases_RecordsOnceCompletesAndDeadLettersTheBadAfterMaxDeliveries()
    {
        var bus = new FakeServiceBus(maxDeliveryCount: 3);
        await using var app = Start(bus, out var folder);
        using var _ = folder;
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);

        var valid = Enumerable.Range(0, 20).Select(i => Purchase(member, 10m + i)).ToList();
        foreach (var purchase in valid)
        {
            bus.Send(ServiceBusConnection.PurchasesQueue, Message(purchase.Json, purchase.Id));
        }

        // The same purchase again under another message id (an order system that retried after a timeout), and two
        // messages that can never be recorded: an unknown member and a broken body.
        bus.Send(ServiceBusConnection.PurchasesQueue, Message(valid[0].Json, "retry-of-" + valid[0].Id));
        var unknown = Purchase(A.Id("nobody"), 5m);
        bus.Send(ServiceBusConnection.PurchasesQueue, Message(unknown.Json, unknown.Id));
        bus.Send(ServiceBusConnection.PurchasesQueue, Message("{\"purchaseId\":", "broken-1"));

        await Eventually.TrueAsync(
            () => bus.Active(ServiceBusConnection.PurchasesQueue).Count == 0 && bus.DeadLettered(ServiceBusConnection.PurchasesQueue).Count == 2,
            "every message is completed or dead-lettered",
            TimeSpan.FromSeconds(30));

        Assert.Equal(valid.Sum(p => (long)p.Amount), await client.BalanceAsync(member));
        Assert.Equal(valid.Count, (await client.LedgerAsync(member)).Count);
        var dead = bus.DeadLettered(ServiceBusConnection.PurchasesQueue);
        Assert.Equal([unknown.Id, "broken-1"], dead.Select(m => m.MessageId).Order(StringComparer.Ordinal).Reverse());
        Assert.All(dead, m => Assert.Equal(3, m.DeliveryCount));
        Assert.All(dead, m => Assert.Equal("MaxDeliveryCountExceeded", m.DeadLetterReason));
    }

    [Fact]
    public async Task ServiceBusRunner_WithoutTheConnectionSetting_LeavesTheQueueAlone()
    {
        var bus = new FakeServiceBus();
        using var folder = FunctionAppFolder.Create().WithFunction(Function);
        // The namespace exists, but no setting names it: the runner must not take messages from it.
        await using var app = new StandaloneApp(azurite, folder, services: s => s.AddKeyedSingleton("OtherConnection", bus.Client));
        var client = await app.StartAsync();
        var member = A.Id("m");
        await client.EnrollAsync(member);
        var purchase = Purchase(member, 7m);
        bus.Send(ServiceBusConnection.PurchasesQueue, Message(purchase.Json, purchase.Id));

        await Task.Delay(500);

        Assert.Single(bus.Active(ServiceBusConnection.PurchasesQueue));
        Assert.Equal(0, await client.BalanceAsync(member));
    }

    [Fact]
    public void HostPayload_OfAReceivedMessage_ReadsLikeTheHostsServiceBusInvocation()
    {
        var message = ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString("{\"purchaseId\":\"order-7\"}"),
            messageId: "order-7",
            timeToLive: TimeSpan.FromDays(14),
            correlationId: "till-7",
            subject: "purchase",
            contentType: "application/json",
            properties: new Dictionary<string, object> { ["source"] = "till-7" },
            lockTokenGuid: Guid.NewGuid(),
            deliveryCount: 4,
            sequenceNumber: 17,
            enqueuedTime: A.Now);

        var body = HostPayloads.ServiceBus(Function, "message", message, A.Now);
        var (invocation, error) = FunctionInvocation.Parse(Encoding.UTF8.GetBytes(body.ToJsonString()));

        Assert.Null(error);
        Assert.Equal("order-7", invocation!.MetadataString("MessageId"));
        Assert.Equal(4, invocation.MetadataNumber("DeliveryCount"));
        Assert.Equal("{\"purchaseId\":\"order-7\"}", Encoding.UTF8.GetString(invocation.JsonValue("message")!));
        Assert.Equal("\"2026-11-24T12:00:00Z\"", body["Metadata"]!["EnqueuedTimeUtc"]!.GetValue<string>());

        // The same binding-data keys as the host's own Service Bus invocation in the fixture (values aside).
        var fixture = Fixtures.Load("Functions/servicebus-host-encoded.json")["Metadata"]!.AsObject().Select(p => p.Key);
        Assert.Empty(fixture.Except(body["Metadata"]!.AsObject().Select(p => p.Key)));
    }

    [Fact]
    public void ServiceBusSettings_FromHostJson_OrTheExtensionsDefaults()
    {
        using var folder = FunctionAppFolder.Create();
        Assert.Equal(ServiceBusSettings.Default, ServiceBusSettings.Read(folder.Path));

        var host = Path.Combine(folder.Path, "host.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(host))!;
        json["extensions"]!["serviceBus"] = new System.Text.Json.Nodes.JsonObject { ["maxConcurrentCalls"] = 4, ["maxAutoLockRenewalDuration"] = "00:01:30" };
        File.WriteAllText(host, json.ToJsonString());

        Assert.Equal(new ServiceBusSettings(4, 0, TimeSpan.FromSeconds(90)), ServiceBusSettings.Read(folder.Path));
    }

    private StandaloneApp Start(FakeServiceBus bus, out FunctionAppFolder folder)
    {
        folder = FunctionAppFolder.Create().WithFunction(Function);
        return new StandaloneApp(azurite, folder, services: s => s.AddKeyedSingleton(ServiceBusConnection.SettingName, bus.Client));
    }

    internal static ServiceBusMessage Message(string body, string id) => new(BinaryData.FromString(body)) { MessageId = id, ContentType = "application/json" };

    internal static (string Id, decimal Amount, string Json) Purchase(string member, decimal amount)
    {
        var id = A.Id("p");
        var occurredAt = TimeProvider.System.GetUtcNow().AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return (id, amount, JsonSerializer.Serialize(new { purchaseId = id, memberId = member, amount, currency = "USD", occurredAt }));
    }
}
