using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Infrastructure;

/// <summary>A request-by-request example in README.md (a <c>```text {name}</c> block), replayed against the app with the
/// clock at each step's time. Each request line is <c>time  METHOD path  body</c>; the line under it is the status and
/// fields of the answer (<c>→ 201 points.balance=78</c>). <c>RUN Function</c> invokes a timer function. A field
/// expected as <c>$name</c> binds the value it first has, and <c>$name</c> in a later path or body stands for it (a
/// random voucher code).</summary>
public static partial class ReadmeExample
{
    /// <param name="Status">The status expected; 0 for any 2xx (a curl example whose answer shows no status).</param>
    /// <param name="Headers">Request headers besides the content type (curl's <c>-H</c>).</param>
    /// <param name="Shown">The JSON the README shows as the answer: each member it shows must be in the answer, with
    /// its value (a timestamp stands for any timestamp, a voucher code for any code).</param>
    public sealed record Step(
        string Line,
        DateTimeOffset At,
        string Method,
        string Path,
        string? Body,
        int Status,
        List<(string Path, string Value)> Checks,
        IReadOnlyList<(string Name, string Value)>? Headers = null,
        JsonNode? Shown = null,
        string? ContentType = null);

    public static List<Step> Parse(string block)
    {
        var readme = File.ReadAllText(System.IO.Path.Combine(RepoRoot.Path, "README.md"));
        var match = Regex.Match(readme, $"```text {Regex.Escape(block)}\n(.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, $"README.md has a ```text {block} block");
        var steps = new List<Step>();
        foreach (var line in match.Groups[1].Value.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.StartsWith('→'))
            {
                var answer = Answer().Match(line);
                var last = steps[^1];
                steps[^1] = last with
                {
                    Status = int.Parse(answer.Groups[1].Value, CultureInfo.InvariantCulture),
                    Checks = [.. Check().Matches(answer.Groups[2].Value).Select(m => (m.Groups[1].Value, m.Groups[2].Value.Trim('"')))],
                };
                continue;
            }

            var request = Request().Match(line);
            Assert.True(request.Success, $"cannot read the example line: {line}");
            steps.Add(new Step(
                line,
                DateTimeOffset.Parse(request.Groups[1].Value, CultureInfo.InvariantCulture),
                request.Groups[2].Value,
                request.Groups[3].Value,
                request.Groups[4].Success ? request.Groups[4].Value : null,
                request.Groups[2].Value == "RUN" ? 200 : 0,
                []));
        }

        return steps;
    }

    /// <summary>Every curl command of README.md, in order: those of the <c>```bash</c> blocks and those quoted in the text
    /// (<c>`curl …`</c>), each with the answer the README shows right after it (a <c>```json</c> block, or a comment
    /// <c># 201 {…}</c> or <c># 204</c>), all at <paramref name="at"/>. <c>$URL</c> (the deployed app) is the app under
    /// test, and <c>$(date -u +%FT%TZ)</c> the time.</summary>
    public static List<Step> CurlSteps(DateTimeOffset at)
    {
        var readme = File.ReadAllText(System.IO.Path.Combine(RepoRoot.Path, "README.md"));
        var steps = new List<Step>();
        foreach (Match part in CurlPlace().Matches(readme))
        {
            if (part.Groups["inline"].Success)
            {
                steps.Add(Curl(part.Groups["inline"].Value, at, shownStatus: null, shown: null));
                continue;
            }

            var block = part.Groups["bash"].Value;
            var commands = Regex.Split(block.Replace("\\\n", " "), @"\n(?=\s*curl\s)");
            var shownAfter = part.Groups["json"].Success ? JsonNode.Parse(part.Groups["json"].Value) : null;
            for (var i = 0; i < commands.Length; i++)
            {
                // The comment under a command: "# 201 {...}" or "# 204 No Content"; on the command's own line after it.
                var text = commands[i].Trim();
                if (!text.StartsWith("curl", StringComparison.Ordinal))
                {
                    continue;
                }

                var answer = Regex.Match(text, @"#\s*(\d{3})\b\s*(\{.*\})?");
                var command = Regex.Replace(text, @"(?m)\s+#.*$", "");
                var shown = answer.Groups[2].Success ? JsonNode.Parse(answer.Groups[2].Value) : i == commands.Length - 1 ? shownAfter : null;
                steps.Add(Curl(command, at, answer.Success ? int.Parse(answer.Groups[1].Value, CultureInfo.InvariantCulture) : null, shown));
            }
        }

        return steps;
    }

    private static Step Curl(string command, DateTimeOffset at, int? shownStatus, JsonNode? shown)
    {
        var words = ShellWords(command
            .Replace("$URL", "http://127.0.0.1:7071", StringComparison.Ordinal)
            .Replace("$(date -u +%FT%TZ)", at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), StringComparison.Ordinal));
        string method = "GET", url = "";
        string? body = null, contentType = null;
        var headers = new List<(string, string)>();
        for (var i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "-X": method = words[++i]; break;
                case "-d": body = words[++i]; method = method == "GET" ? "POST" : method; break;
                case "-H" when words[i + 1].Split(':', 2) is [var name, var value]:
                    i++;
                    if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                    {
                        contentType = value.Trim();
                    }
                    else
                    {
                        headers.Add((name.Trim(), value.Trim()));
                    }

                    break;
                case var flag when flag.StartsWith('-'): break;
                case var word: url = word; break;
            }
        }

        // curl -d without a content type sends application/x-www-form-urlencoded, which the app refuses (415).
        contentType ??= body is null ? null : "application/x-www-form-urlencoded";
        var path = new Uri(url).PathAndQuery;
        return new Step(command, at, method, path, body, shownStatus ?? 0, [], headers, shown, contentType);
    }

    // Splits the first command of the text as a POSIX shell does: single quotes literal, double quotes with backslash
    // escapes.
    private static List<string> ShellWords(string command)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c == '\'' && command.IndexOf('\'', i + 1) is var end and > 0)
            {
                word.Append(command, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '"')
            {
                for (i++; i < command.Length && command[i] != '"'; i++)
                {
                    word.Append(command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' ? command[++i] : command[i]);
                }

                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                // An unquoted line break ends the command (the next line is another command).
                if (c == '\n' && words.Count > 0)
                {
                    return words;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>Runs every curl example of the README in order, from an empty store (<paramref name="azurite"/> is
    /// the test's own), against the app with the shipped program.json and the clock at <paramref name="at"/>.</summary>
    public static async Task RunCurlExamplesOnShippedProgramAsync(Azurite azurite, DateTimeOffset at, int minimumSteps)
    {
        var steps = CurlSteps(at);
        Assert.True(steps.Count >= minimumSteps, $"the README has {steps.Count} curl examples");
        var clock = new FakeTimeProvider(at);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = System.IO.Path.Combine(AppContext.BaseDirectory, "program.json"),
        });
        await RunAsync(await app.StartAsync(), clock, steps);
    }

    /// <summary>Runs the example <paramref name="block"/> against the app with the shipped program.json on
    /// <paramref name="azurite"/>.</summary>
    public static async Task RunOnShippedProgramAsync(Azurite azurite, string block, int minimumSteps)
    {
        var steps = Parse(block);
        Assert.True(steps.Count >= minimumSteps, $"the {block} has {steps.Count} steps");
        var clock = new FakeTimeProvider(steps[0].At);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = System.IO.Path.Combine(AppContext.BaseDirectory, "program.json"),
        });
        await RunAsync(await app.StartAsync(), clock, steps);
    }

    /// <summary>Sends every step with the clock at its time and checks its status and fields.</summary>
    public static async Task RunAsync(HttpClient client, FakeTimeProvider clock, IReadOnlyList<Step> steps)
    {
        var bound = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            clock.SetUtcNow(step.At);
            using var response = await Send(client, step with { Path = Bind(step.Path, bound), Body = step.Body is null ? null : Bind(step.Body, bound) });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(
                step.Status == (int)response.StatusCode || (step.Status == 0 && response.IsSuccessStatusCode),
                $"{step.Line}\n  expected {(step.Status == 0 ? "2xx" : step.Status)}, got {(int)response.StatusCode}: {body}");
            if (step.Shown is { } shown)
            {
                var actual = JsonNode.Parse(body);
                Assert.True(Shows(shown, actual, out var where), $"{step.Line}\n  the README shows {shown.ToJsonString()}\n  the app answered {body}\n  first difference at {where}");
            }
            if (step.Checks.Count == 0)
            {
                continue;
            }

            using var json = JsonDocument.Parse(body);
            foreach (var (path, expected) in step.Checks)
            {
                var actual = Find(json.RootElement, path);
                if (expected.StartsWith('$') && !bound.ContainsKey(expected[1..]) && actual is { ValueKind: JsonValueKind.String } value)
                {
                    bound[expected[1..]] = value.GetString()!;
                    continue;
                }

                Assert.True(Matches(actual, Bind(expected, bound)), $"{step.Line}\n  {path}: expected {expected}, got {actual?.GetRawText() ?? "(missing)"}");
            }
        }
    }

    private static string Bind(string text, Dictionary<string, string> bound) =>
        Variable().Replace(text, m => bound.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    private static Task<HttpResponseMessage> Send(HttpClient client, Step step)
    {
        if (step.Method == "RUN")
        {
            // A nightly job, invoked as the host (or the admin endpoint's runner) invokes a timer function.
            return client.PostJsonAsync($"/{step.Path}", Fixtures.Load("Functions/timer.json").ToJsonString());
        }

        var request = new HttpRequestMessage(new HttpMethod(step.Method), step.Path);
        if (step.Body is not null || (step.Method != "GET" && step.ContentType is null && step.Headers is null))
        {
            request.Content = new StringContent(step.Body ?? "{}", System.Text.Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(step.ContentType ?? "application/json");
        }

        foreach (var (name, value) in step.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return client.SendAsync(request);
    }

    // Whether the answer has every member the README shows, with its value; a timestamp or a voucher code shown stands
    // for any (they depend on the clock and on chance).
    private static bool Shows(JsonNode? shown, JsonNode? actual, out string where, string path = "$")
    {
        where = path;
        switch (shown)
        {
            case null:
                return actual is null;
            case JsonObject o:
                if (actual is not JsonObject a)
                {
                    return false;
                }

                foreach (var (name, value) in o)
                {
                    if (!a.ContainsKey(name) || !Shows(value, a[name], out where, $"{path}.{name}"))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray list:
                if (actual is not JsonArray items || items.Count != list.Count)
                {
                    return false;
                }

                for (var i = 0; i < list.Count; i++)
                {
                    if (!Shows(list[i], items[i], out where, $"{path}[{i}]"))
                    {
                        return false;
                    }
                }

                return true;
            default:
                var text = shown.GetValueKind() == JsonValueKind.String ? shown.GetValue<string>() : null;
                if (text is not null && actual?.GetValueKind() == JsonValueKind.String
                    && (Timestamp().IsMatch(text) || VoucherCode().IsMatch(text)) && (Timestamp().IsMatch(actual.GetValue<string>()) || VoucherCode().IsMatch(actual.GetValue<string>())))
                {
                    return true;
                }

                return actual is not null && (shown.GetValueKind() == JsonValueKind.Number && actual.GetValueKind() == JsonValueKind.Number
                    ? shown.GetValue<decimal>() == actual.GetValue<decimal>()
                    : JsonNode.DeepEquals(shown, actual));
        }
    }

    // "entries[0].points" → the element, or null when a step of the path is missing.
    private static JsonElement? Find(JsonElement root, string path)
    {
        var current = root;
        foreach (var part in path.Split('.'))
        {
            var name = part.Split('[')[0];
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }

            foreach (Match index in Index().Matches(part))
            {
                var i = int.Parse(index.Groups[1].Value, CultureInfo.InvariantCulture);
                if (current.ValueKind != JsonValueKind.Array || i >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[i];
            }
        }

        return current;
    }

    private static bool Matches(JsonElement? actual, string expected) => actual switch
    {
        null => false,
        { ValueKind: JsonValueKind.Number } n => decimal.TryParse(expected, CultureInfo.InvariantCulture, out var d) && n.GetDecimal() == d,
        { ValueKind: JsonValueKind.Null } => expected == "null",
        { ValueKind: JsonValueKind.True } => expected == "true",
        { ValueKind: JsonValueKind.False } => expected == "false",
        { ValueKind: JsonValueKind.Array } a => JsonNode.Parse(a.GetRawText())!.ToJsonString() == expected,
        var s => s.Value.ToString() == expected,
    };

    // A ```bash block with a curl command (and the ```json block right after it, if any), or `curl …` in the text.
    [GeneratedRegex(@"```bash\n(?<bash>(?:(?!```).)*?\bcurl\s(?:(?!```).)*?)```(?:\s*\n```json\n(?<json>.*?)```)?|`(?<inline>curl [^`]+)`", RegexOptions.Singleline)]
    private static partial Regex CurlPlace();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")]
    private static partial Regex VoucherCode();

    [GeneratedRegex(@"^(\S+)\s+(GET|PUT|POST|DELETE|RUN)\s+(\S+)(?:\s+(\{.*\}))?$")]
    private static partial Regex Request();

    [GeneratedRegex(@"^→\s+(\d{3})\s*(.*)$")]
    private static partial Regex Answer();

    [GeneratedRegex(@"([\w\[\].]+)=(""[^""]*""|\S+)")]
    private static partial Regex Check();

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Index();

    [GeneratedRegex(@"\$(\w+)")]
    private static partial Regex Variable();
}
