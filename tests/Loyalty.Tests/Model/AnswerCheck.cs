using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Model;

/// <summary>Compares an answer of the service with what the model expects. Numbers compare as numbers (1, 1.0 and
/// 1.00 are equal); arrays compare as multisets, and objects in them only on the fields the model names (a voucher's
/// random code is not the model's to know).</summary>
public static class AnswerCheck
{
    /// <summary>The differences, empty when the answer agrees.</summary>
    public static List<string> Compare(Expected expected, int status, string body)
    {
        var node = Parse(body);
        if (!expected.IsRefusal)
        {
            return status == expected.Status
                ? Figures(expected.Figures, node)
                : [$"status {status}, expected {expected}: {body}"];
        }

        var type = node?["type"]?.GetValue<string>();
        var refusal = expected.Refusals.FirstOrDefault(r => r.Status == status && (r.Type is null || r.Type == type));
        return refusal is null ? [$"status {status} {type}, expected {expected}: {body}"] : Figures(refusal.Figures, node);
    }

    public static List<string> Figures(IEnumerable<Figure> figures, JsonNode? answer)
    {
        var differences = new List<string>();
        foreach (var figure in figures)
        {
            var found = Find(answer, figure.Path, out var actual);
            if (!found && figure.New)
            {
                continue;
            }

            if (!found || !Same(figure.Value, actual))
            {
                differences.Add($"{figure.Path}: expected {figure.Value?.ToJsonString() ?? "null"}{(figure.New ? " (new)" : "")}, got {(found ? actual?.ToJsonString() ?? "null" : "(absent)")}");
            }
        }

        return differences;
    }

    public static JsonNode? Parse(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>"points.nextExpiry.points": false when a step of the path is missing.</summary>
    public static bool Find(JsonNode? root, string path, out JsonNode? value)
    {
        value = root;
        foreach (var name in path.Split('.'))
        {
            if (value is not JsonObject o || !o.TryGetPropertyValue(name, out value))
            {
                value = null;
                return false;
            }
        }

        return true;
    }

    public static bool Same(JsonNode? expected, JsonNode? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (JsonArray e, JsonArray a) => e.Count == a.Count && Multiset(e, e.FirstOrDefault()).SequenceEqual(Multiset(a, e.FirstOrDefault())),
        (JsonObject e, JsonObject a) => e.All(p => a.TryGetPropertyValue(p.Key, out var v) && Same(p.Value, v)),
        (JsonValue e, JsonValue a) => Canonical(e, null) == Canonical(a, null),
        _ => false,
    };

    private static IEnumerable<string> Multiset(JsonArray items, JsonNode? shape) =>
        items.Select(i => Canonical(i, shape)).Order(StringComparer.Ordinal);

    /// <summary>A text that is equal for equal values: numbers normalised, objects reduced to the fields of
    /// <paramref name="shape"/> (when it is an object) in a fixed order.</summary>
    private static string Canonical(JsonNode? node, JsonNode? shape) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(',', (shape as JsonObject ?? o).Select(p => p.Key).Order(StringComparer.Ordinal)
            .Select(k => k + ":" + Canonical(o[k], null))) + "}",
        JsonArray a => "[" + string.Join(',', Multiset(a, a.FirstOrDefault())) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number =>
            decimal.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture).ToString("0.############################", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
