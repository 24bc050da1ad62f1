using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Adapters.Sms;

/// <summary>An ACS connection string, <c>endpoint=https://&lt;resource&gt;.communication.azure.com/;accesskey=&lt;base64&gt;</c>.
/// The endpoint must be https; plain http is accepted only for loopback addresses (tests and local fakes). Errors
/// never repeat the key. <see cref="ToString"/> leaves the key out.</summary>
public sealed class AcsConnectionString
{
    private AcsConnectionString(Uri endpoint, byte[] key) => (Endpoint, Key) = (endpoint, key);

    /// <summary>The resource endpoint, ending with '/'.</summary>
    public Uri Endpoint { get; }

    /// <summary>The decoded access key: the HMAC-SHA256 secret.</summary>
    internal byte[] Key { get; }

    /// <summary>Parses <paramref name="text"/>, or says what is wrong with it without quoting the key.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out AcsConnectionString? connection, [NotNullWhen(false)] out string? error)
    {
        connection = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty";
            return false;
        }

        string? endpoint = null;
        string? key = null;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // The key is base64 and may end with '=': split at the first one only.
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq].Trim();
            var value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            if (name.Equals("endpoint", StringComparison.OrdinalIgnoreCase))
            {
                endpoint = value;
            }
            else if (name.Equals("accesskey", StringComparison.OrdinalIgnoreCase))
            {
                key = value;
            }
        }

        if (string.IsNullOrEmpty(endpoint) || string.IsNullOrEmpty(key))
        {
            error = "must have the form endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>";
            return false;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "endpoint is not an absolute https URL without query";
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            error = $"endpoint must use https; http is accepted only for loopback addresses (127.0.0.1, [::1], localhost), not {uri.Host}";
            return false;
        }

        var bytes = new byte[key.Length];
        if (!Convert.TryFromBase64String(key, bytes, out var written) || written == 0)
        {
            error = "accesskey is not valid base64";
            return false;
        }

        var normalized = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        connection = new AcsConnectionString(normalized, bytes[..written]);
        error = null;
        return true;
    }

    public override string ToString() => $"endpoint={Endpoint};accesskey=***";
}
