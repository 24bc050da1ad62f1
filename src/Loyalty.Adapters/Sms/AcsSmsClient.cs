using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Loyalty.Adapters.Sms;

/// <summary>Sends SMS through the ACS REST API (<c>POST {endpoint}/sms?api-version=…</c>), one message to one
/// recipient per call, with the caller's repeatability id so that retries never send twice. Requests are signed
/// by <see cref="AcsHmacSigningHandler"/> and retried by the pipeline in <see cref="AcsSmsResilience"/>.
/// Register with <see cref="SmsServiceCollectionExtensions.AddAcsSms"/>.</summary>
public sealed partial class AcsSmsClient(HttpClient http, IOptions<AcsSmsOptions> options, TimeProvider time, ILogger<AcsSmsClient> logger)
{
    private static readonly AcsJson Json = AcsJson.Default;

    /// <summary>Sends <paramref name="message"/>, or in a dry run only logs that it would have. Outcomes are
    /// results (see <see cref="SmsSendResult"/>); cancellation by the caller throws.</summary>
    /// <exception cref="ArgumentException">The message is malformed (not E.164, empty or too long, no repeatability).</exception>
    /// <exception cref="InvalidOperationException">Not a dry run and <c>ACS_CONNECTION_STRING</c> or <c>ACS_SMS_FROM</c> is not set.</exception>
    public async Task<SmsSendResult> SendAsync(SmsMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Check();
        var settings = options.Value;
        var masked = SmsRedaction.Mask(message.To);
        if (settings.DryRun)
        {
            LogDryRun(logger, message.Tag, masked, message.Body.Length);
            return new SmsSendResult.DryRun($"dry-run-{message.Repeatability.RequestId:N}");
        }

        if (!settings.IsConfigured || string.IsNullOrWhiteSpace(settings.From))
        {
            throw new InvalidOperationException(
                $"SMS is not configured: set {AcsSmsOptions.ConnectionStringSetting} and {AcsSmsOptions.FromSetting}, or {AcsSmsOptions.DryRunSetting}=true to send nothing.");
        }

        if (!AcsConnectionString.TryParse(settings.ConnectionString, out var connection, out var error))
        {
            throw new InvalidOperationException($"{AcsSmsOptions.ConnectionStringSetting}: {error}");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(
            new SendRequest(
                settings.From,
                [new Recipient(message.To, message.Repeatability.RequestId.ToString("D"), message.Repeatability.FirstSentRfc1123)],
                message.Body,
                new SendOptions(message.EnableDeliveryReport, message.Tag)),
            Json.SendRequest);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(connection.Endpoint, $"sms?api-version={Uri.EscapeDataString(settings.ApiVersion)}"))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };

        SmsSendResult result;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            result = await ReadAsync(response, message.To, cancellationToken);
        }
        catch (BrokenCircuitException)
        {
            result = new SmsSendResult.Failed(null, "ACS is failing: the circuit is open, so nothing was sent", settings.Resilience.BreakDuration);
        }
        catch (TimeoutRejectedException)
        {
            result = new SmsSendResult.Failed(null, "ACS did not answer in time", null);
        }
        catch (HttpRequestException e)
        {
            result = new SmsSendResult.Failed(null, $"ACS could not be reached ({e.HttpRequestError})", null);
        }

        Log(result, message.Tag, masked);
        return result;
    }

    private async Task<SmsSendResult> ReadAsync(HttpResponseMessage response, string to, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            SendResponse? answer;
            try
            {
                answer = await response.Content.ReadFromJsonAsync(Json.SendResponse, cancellationToken);
            }
            catch (JsonException)
            {
                answer = null;
            }

            var item = answer?.Value?.FirstOrDefault(v => v.To == to) ?? (answer?.Value is [var only] ? only : null);
            return item switch
            {
                null => new SmsSendResult.Failed(status, "ACS answered without a result for the recipient", null),
                { Successful: true, MessageId: { Length: > 0 } id } => new SmsSendResult.Accepted(id),
                { HttpStatusCode: 412 } => new SmsSendResult.Unconfirmed(item.ErrorMessage),
                { HttpStatusCode: var code } when AcsSmsResilience.IsTransient((HttpStatusCode)code) =>
                    new SmsSendResult.Failed(code, item.ErrorMessage ?? "ACS could not send to the recipient now", null),
                _ => new SmsSendResult.Rejected(item.HttpStatusCode, item.ErrorMessage),
            };
        }

        var error = await ErrorMessageAsync(response, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.PreconditionFailed => new SmsSendResult.Unconfirmed(error),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new SmsSendResult.Failed(
                status, $"ACS refused the request's credentials: check {AcsSmsOptions.ConnectionStringSetting} and {AcsSmsOptions.FromSetting} ({error})", null, Refused: true),
            var s when AcsSmsResilience.IsTransient(s) => new SmsSendResult.Failed(
                status, error ?? "ACS is unavailable", AcsSmsResilience.RetryAfter(response, time)),
            _ => new SmsSendResult.Rejected(status, error),
        };
    }

    /// <summary>The message of ACS's error body (<c>{"error":{"code":…,"message":…}}</c>), tolerating anything else.</summary>
    private static async Task<string?> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var error = await response.Content.ReadFromJsonAsync(Json.ErrorResponse, cancellationToken);
            return error?.Error is { } e ? $"{e.Code}: {e.Message}" : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Log(SmsSendResult result, string? tag, string to)
    {
        switch (result)
        {
            case SmsSendResult.Accepted accepted:
                LogAccepted(logger, tag, to, accepted.MessageId);
                break;
            case SmsSendResult.Rejected rejected:
                LogRejected(logger, tag, to, rejected.StatusCode, SmsRedaction.Redact(rejected.Error));
                break;
            case SmsSendResult.Unconfirmed unconfirmed:
                LogUnconfirmed(logger, tag, to, SmsRedaction.Redact(unconfirmed.Error));
                break;
            case SmsSendResult.Failed failed:
                LogFailed(logger, tag, to, failed.StatusCode, SmsRedaction.Redact(failed.Reason));
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dry run: SMS {Tag} to {To} ({Length} characters) not sent")]
    private static partial void LogDryRun(ILogger logger, string? tag, string to, int length);

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS {Tag} to {To} accepted by ACS as {MessageId}")]
    private static partial void LogAccepted(ILogger logger, string? tag, string to, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS {Tag} to {To} rejected by ACS with {StatusCode}: {Error}")]
    private static partial void LogRejected(ILogger logger, string? tag, string to, int statusCode, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "SMS {Tag} to {To}: ACS no longer tracks its repeatability id, so whether it was sent is unknown: {Error}")]
    private static partial void LogUnconfirmed(ILogger logger, string? tag, string to, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS {Tag} to {To} not sent ({StatusCode}): {Reason}; a later retry with the same repeatability id is safe")]
    private static partial void LogFailed(ILogger logger, string? tag, string to, int? statusCode, string? reason);

    private sealed record SendRequest(string From, IReadOnlyList<Recipient> SmsRecipients, string Message, SendOptions SmsSendOptions);

    private sealed record Recipient(string To, string RepeatabilityRequestId, string RepeatabilityFirstSent);

    private sealed record SendOptions(bool EnableDeliveryReport, string? Tag);

    private sealed record SendResponse(IReadOnlyList<SendResponseItem>? Value);

    private sealed record SendResponseItem(string? To, string? MessageId, int HttpStatusCode, string? RepeatabilityResult, bool Successful, string? ErrorMessage);

    private sealed record ErrorResponse(ErrorDetail? Error);

    private sealed record ErrorDetail(string? Code, string? Message);

    /// <summary>ACS's request and answers as JSON, the serializer's code generated at build time (Native AOT).</summary>
    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(SendRequest))]
    [JsonSerializable(typeof(SendResponse))]
    [JsonSerializable(typeof(ErrorResponse))]
    private sealed partial class AcsJson : JsonSerializerContext;
}
