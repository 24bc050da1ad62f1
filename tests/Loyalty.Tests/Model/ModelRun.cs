using System.Diagnostics;
using System.Globalization;
using System.Text;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Model;

/// <summary>How many sequences to run and how long. LOYALTY_MODEL_SEED replays one sequence; LOYALTY_MODEL_SEQUENCES
/// and LOYALTY_MODEL_STEPS override the counts; LOYALTY_MODEL_SCRIPT runs the steps of a file instead (a printed
/// sequence, cut down by hand); LOYALTY_MODEL_TRACE writes every step with both answers to a file.</summary>
public sealed record ModelRunOptions(int Sequences, int Steps, int? Seed = null, TimeSpan? Duration = null, TextWriter? Trace = null, string? Script = null)
{
    public ModelRunOptions WithEnvironment() => this with
    {
        Seed = Number("LOYALTY_MODEL_SEED") ?? Seed,
        Sequences = Number("LOYALTY_MODEL_SEED") is null && Environment.GetEnvironmentVariable("LOYALTY_MODEL_SCRIPT") is null ? Number("LOYALTY_MODEL_SEQUENCES") ?? Sequences : 1,
        Steps = Number("LOYALTY_MODEL_STEPS") ?? Steps,
        Script = Environment.GetEnvironmentVariable("LOYALTY_MODEL_SCRIPT") is { Length: > 0 } script ? File.ReadAllText(script) : Script,
        Trace = Environment.GetEnvironmentVariable("LOYALTY_MODEL_TRACE") is { Length: > 0 } path ? new StreamWriter(path, append: true) { AutoFlush = true } : Trace,
    };

    private static int? Number(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>What a run did, and the first sequence that disagreed, if any, with its seed and steps.</summary>
public sealed record ModelReport(int Sequences, int Steps, int InvariantsChecked, TimeSpan Elapsed, string? Failure)
{
    public static readonly ModelReport None = new(0, 0, 0, TimeSpan.Zero, null);

    public ModelReport Plus(ModelReport other) => new(
        Sequences + other.Sequences, Steps + other.Steps, InvariantsChecked + other.InvariantsChecked, Elapsed + other.Elapsed, Failure ?? other.Failure);

    public string Summary(string variant, ModelSpec spec) => string.Create(CultureInfo.InvariantCulture,
        $"{variant} ({spec} spec): {Sequences} sequences, {Steps} steps, {InvariantsChecked} invariants checked in {Elapsed.TotalSeconds:0.0} s");
}

public static class ModelRun
{
    /// <summary>Where every sequence starts: a week into the promotions of the model's program.</summary>
    public static readonly DateTimeOffset Start = new(2027, 1, 2, 9, 0, 0, TimeSpan.Zero);

    public static async Task<ModelReport> RunAsync(Azurite azurite, string programFile, ModelSpec spec, ModelRunOptions options)
    {
        var program = ModelProgram.Load(programFile);
        var seeds = new Random();
        var clock = Stopwatch.StartNew();
        int sequences = 0, steps = 0, invariants = 0;
        while (sequences < options.Sequences && (options.Duration is not { } duration || clock.Elapsed < duration))
        {
            var seed = options.Seed ?? seeds.Next();
            var random = new Random(seed);
            var model = new ReferenceModel(program, spec, Start);
            await using var world = await ModelWorld.StartAsync(azurite, program.File, Start);
            var runner = new SequenceRunner(world, model, new CommandGenerator(random, model), random, options.Trace);
            var differences = options.Script is { } script ? await runner.RunAsync(ModelScript.Parse(script)) : await runner.RunAsync(options.Steps);
            var verifier = new ModelVerifier(world, model, runner, random);
            if (differences.Count == 0)
            {
                await verifier.VerifyAsync();
                differences = verifier.Differences;
            }

            sequences++;
            steps += runner.Steps.Count;
            invariants += verifier.InvariantsChecked;
            if (differences.Count > 0)
            {
                return new ModelReport(sequences, steps, invariants, clock.Elapsed, Describe(programFile, spec, seed, options, runner.Steps, differences));
            }
        }

        return new ModelReport(sequences, steps, invariants, clock.Elapsed, null);
    }

    private static string Describe(string programFile, ModelSpec spec, int seed, ModelRunOptions options, List<Step> steps, List<string> differences)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"The service disagrees with the reference model ({programFile}, {spec} spec).");
        text.AppendLine(CultureInfo.InvariantCulture, $"Replay: LOYALTY_MODEL_SPEC={spec} LOYALTY_MODEL_SEED={seed} LOYALTY_MODEL_STEPS={options.Steps} dotnet test tests/Loyalty.Tests -c Release --filter \"FullyQualifiedName~Model\"");
        text.AppendLine("Steps:");
        foreach (var step in steps)
        {
            text.AppendLine(step.ToString());
        }

        text.AppendLine("Differences:");
        foreach (var difference in differences.Take(30))
        {
            text.AppendLine("  " + difference);
        }

        return text.ToString();
    }
}
