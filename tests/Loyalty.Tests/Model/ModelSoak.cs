using System.Diagnostics;
using System.Globalization;
using Loyalty.Tests.Infrastructure;

namespace Loyalty.Tests.Model;

/// <summary>The long run of the model-based test: <c>bash eng/soak.sh --minutes N</c> runs sequences on both program
/// variants until the time is up and writes what it ran. It runs only when the script sets
/// LOYALTY_MODEL_SOAK_MINUTES, alone, on the Azurite the script started (every sequence empties its tables).</summary>
public sealed class ModelSoak(Azurite azurite)
{
    private static readonly ModelRunOptions Round = new(Sequences: 5, Steps: 150);

    [Fact]
    public async Task Soak_SequencesAgreeWithReferenceModelUntilTimeIsUp()
    {
        if (!double.TryParse(Environment.GetEnvironmentVariable("LOYALTY_MODEL_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes))
        {
            Assert.Skip("runs from eng/soak.sh (LOYALTY_MODEL_SOAK_MINUTES)");
        }

        var spec = ModelSpec.FromEnvironment();
        string[] programs = spec.Has(ModelSpec.Owed) ? ["program.model.negative.json", "program.model.strict.json"] : ["program.model.negative.json"];
        var clock = Stopwatch.StartNew();
        var options = Round.WithEnvironment() with { Sequences = Round.Sequences, Seed = null };
        var totals = programs.ToDictionary(p => p, _ => ModelReport.None);
        string? failure = null;
        for (var round = 0; failure is null && clock.Elapsed < TimeSpan.FromMinutes(minutes); round++)
        {
            var program = programs[round % programs.Length];
            var report = await ModelRun.RunAsync(azurite, program, spec, options with { Duration = TimeSpan.FromMinutes(minutes) - clock.Elapsed });
            totals[program] = totals[program].Plus(report);
            failure = report.Failure;
        }

        var lines = totals.Select(t => t.Value.Summary(t.Key, spec)).Append(string.Create(CultureInfo.InvariantCulture,
            $"total: {totals.Values.Sum(t => t.Sequences)} sequences, {totals.Values.Sum(t => t.Steps)} steps, {totals.Values.Sum(t => t.InvariantsChecked)} invariants checked, {(failure is null ? "no disagreement" : "a disagreement (below)")}"));
        if (Environment.GetEnvironmentVariable("LOYALTY_MODEL_SUMMARY") is { Length: > 0 } path)
        {
            await File.WriteAllLinesAsync(path, failure is null ? lines : [.. lines, failure]);
        }

        Assert.True(failure is null, failure);
    }
}
