using System.Text.RegularExpressions;
using Loyalty.Adapters.Messaging;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Standalone;

namespace Loyalty.Tests.Cli;

/// <summary>Runs the README's Operations examples (the <c>```bash operations-example</c> blocks): every <c>loyalty …</c>
/// line through the real command line, on an Azurite of its own (the example uses the real queue names) and a fake
/// Service Bus namespace, and checks that the <c>#</c> lines under it appear in its output, in order. Files the example
/// writes with <c>cat &gt; FILE &lt;&lt;'EOF'</c> go to a folder of the test's, where the commands find them.</summary>
public sealed partial class ReadmeOperationsTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public async Task ReadmeOperationsExample_RunsAsShown()
    {
        var steps = Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md")));
        Assert.Contains(steps, s => s.Args is ["queues", ..]);
        Assert.Contains(steps, s => s.Args is ["servicebus", ..]);
        Assert.Contains(steps, s => s.Args is ["purchases", ..]);
        Assert.Contains(steps, s => s.Args is ["import", ..]);
        var bus = new FakeServiceBus();
        var folder = Directory.CreateTempSubdirectory("readme-").FullName;

        foreach (var step in steps)
        {
            if (step.File is { } file)
            {
                await File.WriteAllLinesAsync(Path.Combine(folder, file), step.Expected);
                continue;
            }

            if (step.Args[0] == "servicebus")
            {
                FailEveryDelivery(bus);
            }

            var args = step.Args.Select(a => FileName().IsMatch(a) ? Path.Combine(folder, a) : a);
            var run = await Cli.RunAsync(azurite.ConnectionString, bus.Client, [.. args]);
            Assert.True(run.Exit == 0, $"{step.Line}\n{run}");
            var output = run.Out.Split('\n').Select(Squeeze).ToList();
            var at = 0;
            foreach (var expected in step.Expected)
            {
                var pattern = new Regex("^" + string.Join(".*", Squeeze(expected).Split('…').Select(Regex.Escape)) + "$");
                while (at < output.Count && !pattern.IsMatch(output[at]))
                {
                    at++;
                }

                Assert.True(at < output.Count, $"{step.Line}\n  expected a line like: {expected}\n{run}");
                at++;
            }
        }

        // Where the example leaves things: carol's purchase back on purchases, dora's resubmitted.
        Assert.Single(await azurite.Queues.GetQueueClient("purchases").ReadAllAsync());
        Assert.Equal(["order-2002/dlq-1"], bus.Active(ServiceBusConnection.PurchasesQueue).Select(m => m.MessageId));
    }

    // What the function does with dora's purchase while there is no member dora: it fails every delivery.
    private static void FailEveryDelivery(FakeServiceBus bus)
    {
        var receiver = bus.Client.CreateReceiver(ServiceBusConnection.PurchasesQueue);
        for (var i = 0; i < bus.MaxDeliveryCount; i++)
        {
            foreach (var message in receiver.ReceiveMessagesAsync(100).GetAwaiter().GetResult())
            {
                receiver.AbandonMessageAsync(message).GetAwaiter().GetResult();
            }
        }
    }

    private static string Squeeze(string line) => Spaces().Replace(line.Trim(), " ");

    /// <param name="File">A file the example writes; <see cref="Expected"/> holds its lines.</param>
    private sealed record Step(string Line, List<string> Args, List<string> Expected, string? File = null)
    {
        public bool Open { get; set; } = File is not null;
    }

    private static List<Step> Parse(string readme)
    {
        var blocks = Block().Matches(readme);
        Assert.True(blocks.Count > 0, "README.md has a ```bash operations-example block");
        var steps = new List<Step>();
        foreach (var line in blocks.SelectMany(b => b.Groups[1].Value.Split('\n')))
        {
            if (steps is [.., { Open: true } writing])
            {
                writing.Open = line != "EOF";
                if (writing.Open)
                {
                    writing.Expected.Add(line);
                }
            }
            else if (HereDocument().Match(line) is { Success: true } file)
            {
                steps.Add(new Step(line, [], [], file.Groups[1].Value));
            }
            else if (line.StartsWith("loyalty ", StringComparison.Ordinal))
            {
                steps.Add(new Step(line, [.. Words(line.TrimEnd()["loyalty ".Length..])], []));
            }
            else if (line.StartsWith("#   ", StringComparison.Ordinal))
            {
                steps[^1].Expected.Add(line.TrimEnd()[4..]);
            }
        }

        return steps;
    }

    // Shell words: split on spaces, with '…' quoting.
    private static IEnumerable<string> Words(string line) =>
        Word().Matches(line).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Value);

    [GeneratedRegex(@"```bash operations-example\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"^cat > (\S+) <<'EOF'$")]
    private static partial Regex HereDocument();

    // A file the example names: written by the example, or by the command (a report).
    [GeneratedRegex(@"^[\w.-]+\.(csv|jsonl|txt)$")]
    private static partial Regex FileName();

    [GeneratedRegex(@"'([^']*)'|\S+")]
    private static partial Regex Word();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
