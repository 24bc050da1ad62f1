using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loyalty.Tests.Model;

/// <summary>Reads steps written as a failing run prints them (<c>  5 @2027-01-02T13:35:37Z [0] POST /api/purchases {…}</c>,
/// <c>CLOCK +4.00:00:00</c>, <c>RUN ExpirePoints</c>, <c>BOTH …</c>, <c>SMS …</c>, <c>KEYRACE SMS … | PUT …</c>), so that a printed sequence can be cut down by hand
/// and replayed with LOYALTY_MODEL_SCRIPT=file. The number, time and instance are optional; a time sets the clock.</summary>
public static partial class ModelScript
{
    public static List<Step> Parse(string text)
    {
        var steps = new List<Step>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var m = Line().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"Not a step: {line}");
            }

            var at = m.Groups["at"].Success ? DateTimeOffset.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var instance = m.Groups["instance"].Success ? int.Parse(m.Groups["instance"].Value, CultureInfo.InvariantCulture) : 0;
            steps.Add(new Step(steps.Count + 1, Command(m.Groups["command"].Value), instance, at));
        }

        return steps;
    }

    private static Command Command(string text)
    {
        if (text.StartsWith("CLOCK +", StringComparison.Ordinal))
        {
            return new AdvanceClock(TimeSpan.Parse(text[7..], CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("RUN ", StringComparison.Ordinal))
        {
            return new RunJob(text[4..]);
        }

        if (text.StartsWith("BOTH ", StringComparison.Ordinal))
        {
            return new Twice(Request(text[5..]));
        }

        if (text.StartsWith("SMS ", StringComparison.Ordinal))
        {
            return Sms(text);
        }

        if (text.StartsWith("KEYRACE ", StringComparison.Ordinal))
        {
            var parts = text[8..].Split(" | ", 2);
            return new KeywordRace(Sms(parts[0]), (Enrol)Request(parts[1]));
        }

        if (text.StartsWith("RACE ", StringComparison.Ordinal))
        {
            return new EraseDuringUpdate((Enrol)Request(text[5..text.LastIndexOf(" | ", StringComparison.Ordinal)]));
        }

        return Request(text);
    }

    /// <summary><c>SMS +14255550123 STOP Incoming_s001 2027-01-02T09:00:00.0000000+00:00</c>.</summary>
    private static SmsText Sms(string text)
    {
        var parts = text.Split(' ');
        return new SmsText(parts[1], parts[2], parts[3], DateTimeOffset.Parse(parts[4], CultureInfo.InvariantCulture));
    }

    private static Request Request(string text)
    {
        var parts = text.Split(' ', 3);
        var (method, path) = (parts[0], parts[1]);
        var body = parts.Length > 2 && parts[2].Length > 0 ? JsonNode.Parse(parts[2])!.AsObject() : [];
        string S(string name) => body[name]!.GetValue<string>();
        string? Maybe(string name) => body[name]?.GetValue<string>();
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return (method, segments) switch
        {
            ("PUT", [_, "members", var id]) => new Enrol(
                id, S("firstName"), Maybe("phone"), Maybe("birthday"), S("timeZone"), Maybe("referredBy"), body["smsOptIn"]?.GetValue<bool>(), body["smsTransactional"]?.GetValue<bool>()),
            ("DELETE", [_, "members", var id]) => new Erase(id),
            ("POST", [_, "purchases"]) => Purchase(body),
            ("POST", [_, "returns"]) => new RecordReturn(S("returnId"), S("purchaseId"), S("memberId"), body["amount"]!.GetValue<decimal>(), DateTimeOffset.Parse(S("occurredAt"), CultureInfo.InvariantCulture)),
            ("POST", [_, "members", var id, "redemptions"]) => new Redeem(id, S("redemptionId"), S("rewardId")),
            ("POST", [_, "members", var id, "redemptions", var redemption, "cancel"]) => new Cancel(id, redemption),
            ("POST", [_, "members", var id, "adjustments"]) => new Adjust(id, S("adjustmentId"), body["points"]!.ToJsonString(), S("reason")),
            _ => throw new FormatException($"Not a request the model knows: {text}"),
        };
    }

    private static RecordPurchase Purchase(JsonObject body)
    {
        var occurredAt = DateTimeOffset.Parse(body["occurredAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var lines = body["lines"]?.AsArray().Select(l => new PurchaseLine(
            l!["sku"]!.GetValue<string>(), l["category"]!.GetValue<string>(), l["quantity"]!.GetValue<decimal>(), l["amount"]!.GetValue<decimal>())).ToList();
        return new RecordPurchase(
            body["purchaseId"]!.GetValue<string>(), body["memberId"]!.GetValue<string>(), body["amount"]!.GetValue<decimal>(), body["currency"]!.GetValue<string>(),
            occurredAt, occurredAt.Offset, body["storeId"]?.GetValue<string>(), lines ?? []);
    }

    [GeneratedRegex(@"^(?:\d+\s+)?(?:@(?<at>\S+)\s+)?(?:\[(?<instance>[01])\]\s+)?(?<command>.+)$")]
    private static partial Regex Line();
}
