using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loyalty.Cli.Import;

/// <summary>Shows how an import advances: on a terminal a progress bar with the rate and the time left (Spectre.Console);
/// otherwise (a pipe, a log file, a test) a plain line every few seconds.</summary>
internal static class ImportProgress
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="work"/>, which calls the action it is given once per member done.</summary>
    public static Task RunAsync(CliContext context, int total, Func<Action, Task> work) =>
        context.Interactive ? BarAsync(total, work) : LinesAsync(context, total, work);

    private static Task BarAsync(int total, Func<Action, Task> work) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("Importing members", maxValue: Math.Max(total, 1));
                await work(() => task.Increment(1));
                task.Value = task.MaxValue;
            });

    private static async Task LinesAsync(CliContext context, int total, Func<Action, Task> work)
    {
        var time = context.Time;
        var started = time.GetTimestamp();
        var done = 0;
        using var stop = new CancellationTokenSource();
        var lines = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(Every, time);
            while (await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
            {
                await context.Out.WriteLineAsync(Line(Volatile.Read(ref done), total, time.GetElapsedTime(started)));
            }
        });
        try
        {
            await work(() => Interlocked.Increment(ref done));
        }
        finally
        {
            await stop.CancelAsync();
            await lines;
        }
    }

    /// <summary>"1200 of 5000 members (240.0/s, about 16 s left)".</summary>
    public static string Line(int done, int total, TimeSpan elapsed)
    {
        var rate = elapsed > TimeSpan.Zero ? done / elapsed.TotalSeconds : 0;
        var left = rate > 0 ? $", about {Math.Ceiling((total - done) / rate)} s left" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{done} of {total} members ({rate:F1}/s{left})");
    }

    /// <summary>Members per second, as Spectre measures the task's speed.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Speed ?? 0:F0} members/s"), new Style(Color.Grey));
    }
}
