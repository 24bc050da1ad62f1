using System.Text.RegularExpressions;
using Loyalty.Adapters.Messaging;
using Loyalty.Tests.Infrastructure;
using Loyalty.Tests.Standalone;

namespace Loyalty.Tests.Cli;

/// <summary>Runs the README's Operations example (the <c>```bash operations-example</c> block): every <c>loyalty …</c>
/// line through the real command line, on an Azurite of its own (the example uses the real queue names) and a fake
/// Service Bus namespace, and checks that the <c>#</c> lines under it appear in its output, in order.</summary>
public sealed partial class ReadmeOperationsTests(PrivateAzurite azurite) : IClassFixture<PrivateAzurite>
{
    [Fact]
    public async Task ReadmeOperationsExample_RunsAsShown()
    {
        var steps = Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md")));
        Assert.Contains(steps, s => s.Args[0] == "queues");
        Assert.Contains(steps, s => s.Args[0] == "servicebus");
        Assert.Contains(steps, s => s.Args[0] == "purchases");
        var bus = new FakeServiceBus();

        foreach (var step in steps)
        {
            if (step.Args[0] == "servicebus")
            {
                FailEveryDelivery(bus);
            }

            var run = await Cli.RunAsync(azurite, bus.Client, [.. step.Args]);
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

    private sealed record Step(string Line, List<string> Args, List<string> Expected);

    private static List<Step> Parse(string readme)
    {
        var block = Block().Match(readme);
        Assert.True(block.Success, "README.md has a ```bash operations-example block");
        var steps = new List<Step>();
        foreach (var line in block.Groups[1].Value.Split('\n').Select(l => l.TrimEnd()))
        {
            if (line.StartsWith("loyalty ", StringComparison.Ordinal))
            {
                steps.Add(new Step(line, [.. Words(line["loyalty ".Length..])], []));
            }
            else if (line.StartsWith("#   ", StringComparison.Ordinal))
            {
                steps[^1].Expected.Add(line[4..]);
            }
        }

        return steps;
    }

    // Shell words: split on spaces, with '…' quoting.
    private static IEnumerable<string> Words(string line) =>
        Word().Matches(line).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Value);

    [GeneratedRegex(@"```bash operations-example\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"'([^']*)'|\S+")]
    private static partial Regex Word();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
