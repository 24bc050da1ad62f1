using System.Diagnostics;
using System.Globalization;
using OpenTelemetry.Trace;

namespace Loyalty.Functions.Telemetry;

/// <summary>How many ordinary traces are kept, read from the Azure Monitor exporter's own settings,
/// <c>OTEL_TRACES_SAMPLER</c> and <c>OTEL_TRACES_SAMPLER_ARG</c> (app settings or environment variables):
/// <c>microsoft.rate_limited</c> with traces per second (the default, 5, as the exporter's), or
/// <c>microsoft.fixed_percentage</c> with a ratio from 0 to 1. The rate applies only to traces chosen by chance:
/// <see cref="TailSampler"/> keeps every trace with a failure, a retry, an exception or a warning whatever it says.</summary>
public sealed class TraceSampling
{
    public const string SamplerSetting = "OTEL_TRACES_SAMPLER";
    public const string ArgumentSetting = "OTEL_TRACES_SAMPLER_ARG";
    public const string RateLimited = "microsoft.rate_limited";
    public const string FixedPercentage = "microsoft.fixed_percentage";
    public const double DefaultTracesPerSecond = 5;

    // How quickly the estimate of new traces per second follows a change of load.
    private static readonly TimeSpan Smoothing = TimeSpan.FromSeconds(2);

    private readonly Lock gate = new();
    private readonly double? ratio;
    private readonly double tracesPerSecond;
    private double arrivals;
    private long last;

    private TraceSampling(double? ratio, double tracesPerSecond) => (this.ratio, this.tracesPerSecond) = (ratio, tracesPerSecond);

    public string Description => ratio is { } r
        ? string.Create(CultureInfo.InvariantCulture, $"{FixedPercentage} {r}")
        : string.Create(CultureInfo.InvariantCulture, $"{RateLimited} {tracesPerSecond}/s");

    /// <summary>The sampling the settings ask for; an unknown sampler or an argument out of range fails, naming the setting.</summary>
    public static TraceSampling FromConfiguration(IConfiguration configuration)
    {
        var sampler = configuration[SamplerSetting]?.Trim().ToLowerInvariant();
        var argument = configuration[ArgumentSetting]?.Trim();
        double? value = string.IsNullOrEmpty(argument) ? null
            : double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed
            : throw new InvalidOperationException($"{ArgumentSetting} must be a number, not '{argument}'.");
        return sampler switch
        {
            null or "" or RateLimited when value is null or >= 0 => new TraceSampling(null, value ?? DefaultTracesPerSecond),
            FixedPercentage when value is >= 0 and <= 1 => new TraceSampling(value, 0),
            FixedPercentage => throw new InvalidOperationException($"{ArgumentSetting} must be a ratio from 0 to 1 with {SamplerSetting}={FixedPercentage}."),
            RateLimited or null or "" => throw new InvalidOperationException($"{ArgumentSetting} must be 0 or more traces per second with {SamplerSetting}={RateLimited}."),
            _ => throw new InvalidOperationException($"{SamplerSetting} must be {RateLimited} or {FixedPercentage}, not '{configuration[SamplerSetting]}'."),
        };
    }

    /// <summary>Decides, once per trace, whether a new trace is kept by chance, and the percentage of such traces kept
    /// (what Application Insights multiplies counts by). The draw is the Application Insights score of the trace id, so
    /// components sampling at the same ratio keep the same traces.</summary>
    public (bool Kept, double Percentage) Draw(ActivityTraceId traceId)
    {
        var probability = ratio ?? RateProbability();
        return (probability >= 1 || (probability > 0 && Score(traceId) < probability), Math.Max(probability, 0) * 100);
    }

    // The share of new traces that keeps about tracesPerSecond of them: an exponentially smoothed count of arrivals.
    private double RateProbability()
    {
        lock (gate)
        {
            var now = Stopwatch.GetTimestamp();
            var elapsed = last == 0 ? 0 : Stopwatch.GetElapsedTime(last, now).TotalSeconds;
            last = now;
            arrivals = (arrivals * Math.Exp(-elapsed / Smoothing.TotalSeconds)) + (1 / Smoothing.TotalSeconds);
            return arrivals <= tracesPerSecond ? 1 : tracesPerSecond / arrivals;
        }
    }

    /// <summary>The Application Insights sampling score of a trace id, from 0 to 1: the DJB2 hash of its upper-case
    /// hex form over the largest 32-bit integer, as the exporter's fixed-percentage sampler computes it.</summary>
    internal static double Score(ActivityTraceId traceId)
    {
        var hash = 5381;
        foreach (var c in traceId.ToHexString().ToUpperInvariant())
        {
            hash = unchecked((hash << 5) + hash + c);
        }

        return (hash == int.MinValue ? int.MaxValue : Math.Abs(hash)) / (double)int.MaxValue;
    }
}

/// <summary>Records every span, whatever its parent says: the decision to keep a trace is made when it has ended
/// (<see cref="TailSampler"/>), and a host that sampled its own part out must not make the handler's part vanish.</summary>
internal sealed class RecordEverything : Sampler
{
    public RecordEverything() => Description = nameof(RecordEverything);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => new(SamplingDecision.RecordAndSample);
}
