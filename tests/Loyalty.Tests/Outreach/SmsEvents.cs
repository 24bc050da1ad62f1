using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Functions.Outreach;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Outreach;

/// <summary>ACS SMS-received events as Event Grid delivers them (the documented <c>Microsoft.Communication.SMSReceived</c>
/// shape), and the invocation of <c>SmsInbound</c> that carries them.</summary>
public static class SmsEvents
{
    public const string OurNumber = "+18005550100";

    public static JsonObject Received(string from, string text, string? messageId = null, DateTimeOffset? at = null) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["topic"] = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/acs",
        ["subject"] = "/phonenumber/18005550100",
        ["eventType"] = SmsInboundHandler.Received,
        ["eventTime"] = "2026-11-24T11:59:59Z",
        ["dataVersion"] = "1.0",
        ["data"] = new JsonObject
        {
            ["messageId"] = messageId ?? "Incoming_" + Guid.NewGuid().ToString("N"),
            ["from"] = from,
            ["to"] = OurNumber,
            ["message"] = text,
            ["receivedTimestamp"] = at?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "2026-11-24T11:59:58.12Z",
            ["segmentCount"] = 1,
        },
    };

    public static JsonObject Invocation(JsonNode @event) => new()
    {
        ["Data"] = new JsonObject { [OutreachFunctions.EventBinding] = @event },
        ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = OutreachFunctions.SmsInbound } },
    };

    /// <summary>Invokes <c>SmsInbound</c> with <paramref name="invocation"/>; the status it answered.</summary>
    public static async Task<HttpStatusCode> DeliverAsync(this OutreachHost host, JsonObject invocation)
    {
        using var response = await host.Client.InvokeAsync(OutreachFunctions.SmsInbound, invocation);
        return response.StatusCode;
    }

    /// <summary>Delivers one SMS from <paramref name="from"/> saying <paramref name="text"/>.</summary>
    public static Task<HttpStatusCode> TextAsync(this OutreachHost host, string from, string text, string? messageId = null) =>
        host.DeliverAsync(Invocation(Received(from, text, messageId, host.Clock.GetUtcNow())));
}
