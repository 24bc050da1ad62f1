using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Api;

/// <summary>Replays the worked example of the README ("A member's year") against the app running the shipped
/// program, with the clock at each step's time, and checks every status and field it shows.</summary>
public sealed partial class WorkedExampleTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public async Task ReadmeWorkedExample_HoldsStepByStep()
    {
        var steps = Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md")));
        Assert.True(steps.Count >= 10, $"the worked example has {steps.Count} steps");
        var clock = new FakeTimeProvider(steps[0].At);
        await using var app = new LoyaltyApp(azurite, clock, new Dictionary<string, string?>
        {
            ["LOYALTY_PROGRAM_FILE"] = Path.Combine(AppContext.BaseDirectory, "program.json"),
        });
        var client = await app.StartAsync();

        foreach (var step in steps)
        {
            clock.SetUtcNow(step.At);
            using var response = await Send(client, step);
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
                Assert.True(Matches(actual, expected), $"{step.Line}\n  {path}: expected {expected}, got {actual?.GetRawText() ?? "(missing)"}");
            }
        }
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, Step step) => step.Method switch
    {
        // A nightly job, invoked as the host (or the admin endpoint's runner) invokes a timer function.
        "RUN" => client.PostJsonAsync($"/{step.Path}", Fixtures.Load("Functions/timer.json").ToJsonString()),
        "GET" => client.GetAsync(step.Path),
        _ => client.SendJsonAsync(new HttpMethod(step.Method), step.Path, step.Body ?? "{}"),
    };

    private sealed record Step(string Line, DateTimeOffset At, string Method, string Path, string? Body, int Status, List<(string Path, string Value)> Checks);

    private static List<Step> Parse(string readme)
    {
        var block = Block().Match(readme);
        Assert.True(block.Success, "README.md has a ```text worked-example block");
        var steps = new List<Step>();
        foreach (var line in block.Groups[1].Value.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith('#')))
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
            Assert.True(request.Success, $"cannot read the worked-example line: {line}");
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
        var s => s.Value.ToString() == expected,
    };

    [GeneratedRegex(@"```text worked-example\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"^(\S+)\s+(GET|PUT|POST|DELETE|RUN)\s+(\S+)(?:\s+(\{.*\}))?$")]
    private static partial Regex Request();

    [GeneratedRegex(@"^→\s+(\d{3})\s*(.*)$")]
    private static partial Regex Answer();

    [GeneratedRegex(@"([\w\[\].]+)=(""[^""]*""|\S+)")]
    private static partial Regex Check();

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Index();
}
