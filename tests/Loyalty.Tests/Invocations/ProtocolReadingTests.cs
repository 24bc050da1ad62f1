using System.Text;
using System.Text.Json;
using Loyalty.Functions.Invocations;
using Loyalty.Functions.Standalone;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Invocations;

/// <summary>How invocation bodies, schedules, host.json and function.json are read: no I/O beyond files.</summary>
public sealed class ProtocolReadingTests
{
    private const string Purchase = """{"purchaseId":"p-1","amount":10}""";

    public static TheoryData<string> WrappedMessages => new()
    {
        { Purchase },
        { JsonSerializer.Serialize(Purchase) },
        { JsonSerializer.Serialize(JsonSerializer.Serialize(Purchase)) },
        { JsonSerializer.Serialize(Convert.ToBase64String(Encoding.UTF8.GetBytes(Purchase))) },
    };

    [Theory]
    [MemberData(nameof(WrappedMessages))]
    public void JsonValue_MessageWrappedAnyWayTheHostWrapsIt_GivesTheMessageJson(string message)
    {
        var invocation = Parse("{\"Data\":{\"message\":" + message + "},\"Metadata\":{}}");

        var json = JsonDocument.Parse(invocation.JsonValue("message")!).RootElement;

        Assert.Equal("p-1", json.GetProperty("purchaseId").GetString());
        Assert.Equal(10, json.GetProperty("amount").GetInt32());
    }

    [Theory]
    [InlineData("\"not json at all\"", "not json at all")]
    [InlineData("\"\\\"abcd\\\"\"", "abcd")]
    public void JsonValue_StringThatHoldsNoJson_GivesItsTextForTheParserToReject(string message, string expected)
    {
        var invocation = Parse("{\"Data\":{\"message\":" + message + "},\"Metadata\":{}}");

        Assert.Equal(expected, Encoding.UTF8.GetString(invocation.JsonValue("message")!));
    }

    [Fact]
    public void Metadata_PlainOrEncodedByTheHost_ReadsTheSameValues()
    {
        var plain = Parse("""{"Data":{},"Metadata":{"Id":"4f2a","DequeueCount":3,"MessageId":12345}}""");
        var encoded = Parse("""{"data":{},"metadata":{"id":"\"4f2a\"","dequeueCount":"3","MessageId":"\"12345\""}}""");

        foreach (var invocation in new[] { plain, encoded })
        {
            Assert.Equal("4f2a", invocation.MetadataString("Id"));
            Assert.Equal(3, invocation.MetadataNumber("DequeueCount"));
            Assert.Equal("12345", invocation.MetadataString("MessageId"));
            Assert.Null(invocation.MetadataNumber("Missing"));
        }
    }

    [Theory]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"Metadata\":{}}", "no Data object")]
    [InlineData("{\"Data\":", "not valid JSON")]
    public void Parse_BodyThatIsNoInvocation_SaysWhy(string body, string reason)
    {
        var (invocation, error) = FunctionInvocation.Parse(Encoding.UTF8.GetBytes(body));

        Assert.Null(invocation);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 */5 * * * *", "2026-11-24T12:03:10Z", "2026-11-24T12:05:00Z")]
    [InlineData("30 0 2 * * *", "2026-11-24T12:00:00Z", "2026-11-25T02:00:30Z")]
    [InlineData("00:15:00", "2026-11-24T12:00:00Z", "2026-11-24T12:15:00Z")]
    public void TimerSchedule_Next_IsTheFirstOccurrenceAfter(string expression, string after, string expected)
    {
        Assert.True(TimerSchedule.TryParse(expression, out var schedule));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule.Next(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture), TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("every day")]
    [InlineData("")]
    public void TimerSchedule_NotSixFieldsOrATimeSpan_IsRejected(string expression) =>
        Assert.False(TimerSchedule.TryParse(expression, out _));

    [Fact]
    public void TimerSchedule_InAZoneWithDaylightSaving_SkipsTheMissingHourAndRunsTheRepeatedOneOnce()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Assert.True(TimerSchedule.TryParse("0 30 2 * * *", out var schedule));

        // 2026-03-29: 02:00 local jumps to 03:00, so 02:30 does not happen that day.
        var spring = schedule.Next(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero), berlin);
        // 2026-10-25: 03:00 local falls back to 02:00, so 02:30 happens twice; the first (+02:00) is the one.
        var autumn = schedule.Next(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero), berlin);
        var afterAutumn = schedule.Next(autumn, berlin);

        Assert.Equal(new DateTimeOffset(2026, 3, 30, 2, 30, 0, TimeSpan.FromHours(2)), spring);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 30, 0, TimeSpan.FromHours(2)), autumn);
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 2, 30, 0, TimeSpan.FromHours(1)), afterAutumn);
    }

    [Fact]
    public void FunctionCatalog_TheAppsOwnFolder_HasThePurchaseTriggersAndTheHostQueueSettings()
    {
        var catalog = FunctionCatalog.Load(AppContext.BaseDirectory);

        var queue = catalog.Find("recordpurchasefromqueue")!;
        var serviceBus = catalog.Find("RecordPurchaseFromServiceBus")!;
        Assert.Equal(("queueTrigger", "message", "purchases", "AzureWebJobsStorage"), (queue.TriggerType, queue.BindingName, queue.Setting("queueName"), queue.Setting("connection")));
        Assert.Equal(("serviceBusTrigger", "message", "purchases", "ServiceBusConnection"), (serviceBus.TriggerType, serviceBus.BindingName, serviceBus.Setting("queueName"), serviceBus.Setting("connection")));
        Assert.True(catalog.Find("RecordPurchase")!.Is(FunctionDefinition.HttpTrigger));
        Assert.Equal(new QueueSettings(16, catalog.Host.Queues.NewBatchThreshold, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), 5, Base64: true), catalog.Host.Queues);
    }

    [Fact]
    public void FunctionCatalog_UnreadableFunctionJson_StopsNamingTheFile()
    {
        using var folder = FunctionAppFolder.Create();
        Directory.CreateDirectory(Path.Combine(folder.Path, "Broken"));
        File.WriteAllText(Path.Combine(folder.Path, "Broken", "function.json"), """{ "bindings": [ { "type": "queue", "direction": "out", "name": "x" } ] }""");

        var error = Assert.Throws<InvalidOperationException>(() => FunctionCatalog.Load(folder.Path));

        Assert.Contains(Path.Combine("Broken", "function.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("no binding is a trigger", error.Message, StringComparison.Ordinal);
    }

    private static FunctionInvocation Parse(string body)
    {
        var (invocation, error) = FunctionInvocation.Parse(Encoding.UTF8.GetBytes(body));
        Assert.Null(error);
        return invocation!;
    }
}
