using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Loyalty.Adapters.Sms;

/// <summary>The one place the ACS pipeline is configured: a total timeout around retries (exponential back-off
/// with jitter, or ACS's <c>Retry-After</c> on 429 and 503), around a circuit breaker, around a timeout per attempt.
/// <para>Retrying a POST that sends an SMS is safe only because every attempt carries the same per-recipient
/// <c>repeatabilityRequestId</c> and <c>repeatabilityFirstSent</c>: ACS processes an id once and answers a repeat
/// with the first outcome. Without them a timed-out attempt that ACS did process would be sent again.</para></summary>
internal static class AcsSmsResilience
{
    public const string PipelineName = "acs-sms";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var options = context.ServiceProvider.GetRequiredService<IOptions<AcsSmsOptions>>().Value.Resilience;
        var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
        builder.TimeProvider = time;

        // Jitter from the app's injected source, so that tests can pin it.
        var random = context.ServiceProvider.GetService<Random>() ?? Random.Shared;

        builder.AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = options.TotalTimeout });
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                Name = "retry",
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Randomizer = () =>
                {
                    lock (random)
                    {
                        return random.NextDouble();
                    }
                },
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(
                    IsTransient(args.Outcome) && !(RetryAfter(args.Outcome.Result, time) > options.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time)),
            });
        }

        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            Name = "breaker",
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
        });
        builder.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = options.AttemptTimeout });
    }

    /// <summary>Worth another attempt: no answer (network error, attempt timed out), or 408, 429, 5xx.</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        HttpRequestException or TimeoutRejectedException => true,
        null => outcome.Result is { } response && IsTransient(response.StatusCode),
        _ => false,
    };

    internal static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>How long ACS asked to wait on a 429 or 503: <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c>, or
    /// <c>Retry-After</c> in seconds or as an HTTP date. Null when it did not say.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time)
    {
        if (response is null || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
        {
            return null;
        }

        foreach (var header in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
        {
            if (response.Headers.TryGetValues(header, out var values)
                && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
            { Date: { } date } => date > time.GetUtcNow() ? date - time.GetUtcNow() : TimeSpan.Zero,
            _ => null,
        };
    }
}
