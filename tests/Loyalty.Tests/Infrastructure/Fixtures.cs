using System.Text;
using System.Text.Json.Nodes;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Fixture files under Fixtures/, with <c>{{name}}</c> placeholders filled in, also inside a string value
/// that is base64 (a binary message body).</summary>
public static class Fixtures
{
    public static JsonNode Load(string relativePath, IReadOnlyDictionary<string, string>? values = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", relativePath)))!;
        return values is null ? node : Fill(node, values)!;
    }

    private static JsonNode? Fill(JsonNode? node, IReadOnlyDictionary<string, string> values) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Fill(p.Value, values)))),
        JsonArray a => new JsonArray([.. a.Select(e => Fill(e, values))]),
        JsonValue v when v.TryGetValue<string>(out var s) => JsonValue.Create(FillText(s, values)),
        _ => node?.DeepClone(),
    };

    private static string FillText(string text, IReadOnlyDictionary<string, string> values)
    {
        if (!text.Contains("{{", StringComparison.Ordinal) && TryBase64(text, out var decoded) && decoded.Contains("{{", StringComparison.Ordinal))
        {
            return Convert.ToBase64String(Encoding.UTF8.GetBytes(FillText(decoded, values)));
        }

        foreach (var (key, value) in values)
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }

        return text;
    }

    private static bool TryBase64(string text, out string decoded)
    {
        var buffer = new byte[text.Length];
        decoded = Convert.TryFromBase64String(text, buffer, out var written) ? Encoding.UTF8.GetString(buffer, 0, written) : "";
        return decoded.Length > 0;
    }
}
