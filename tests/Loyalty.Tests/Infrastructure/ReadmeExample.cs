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
    public sealed record Step(string Line, DateTimeOffset At, string Method, string Path, string? Body, int Status, List<(string Path, string Value)> Checks);

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
            Assert.True(step.Status == (int)response.StatusCode, $"{step.Line}\n  expected {step.Status}, got {(int)response.StatusCode}: {body}");
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

    private static Task<HttpResponseMessage> Send(HttpClient client, Step step) => step.Method switch
    {
        // A nightly job, invoked as the host (or the admin endpoint's runner) invokes a timer function.
        "RUN" => client.PostJsonAsync($"/{step.Path}", Fixtures.Load("Functions/timer.json").ToJsonString()),
        "GET" => client.GetAsync(step.Path),
        _ => client.SendJsonAsync(new HttpMethod(step.Method), step.Path, step.Body ?? "{}"),
    };

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
