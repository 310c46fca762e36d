//! Translations: every explanation the tool prints exists in English and Russian.

/// Output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// The language from the environment: `LC_ALL`, then `LC_MESSAGES`, then `LANG`; `ru*` →
    /// Russian, anything else → English.
    pub fn from_env() -> Self {
        let v = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if v.to_ascii_lowercase().starts_with("ru") {
            Self::Ru
        } else {
            Self::En
        }
    }
}

/// Everything the tool explains, one variant per sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    TcpConnect,
    ClientHello,
    ServerHello,
    HelloRetryRequest,
    CcsCompat,
    CcsTls12,
    EncryptedExtensions,
    CertificateRequest,
    ServerCertificate,
    ClientCertificate,
    ServerCertificateVerify,
    ClientCertificateVerify,
    ServerFinished,
    ClientFinished,
    ServerKeyExchange,
    ServerHelloDone,
    ClientKeyExchangeEcdhe,
    ClientKeyExchangeRsa,
    NewSessionTicket,
    ApplicationData,
    CloseNotify,
    Alert,
    Encrypted,
    Plaintext,
    Client,
    Server,
    Negotiated,
    KeysHandshake,
    KeysApplication,
    DemoTitle,
    ResumeUnsupported,
}

impl Msg {
    /// The sentence in `lang`.
    #[allow(clippy::too_many_lines)]
    pub fn text(self, lang: Lang) -> &'static str {
        use Msg::*;
        match (self, lang) {
            (TcpConnect, Lang::En) => "a plain TCP connection; nothing is protected or authenticated yet",
            (TcpConnect, Lang::Ru) => "обычное TCP-соединение; пока ничего не защищено и не подтверждено",
            (ClientHello, Lang::En) => "the client offers versions, cipher suites and groups, and already sends its key share so keys can exist after one round trip",
            (ClientHello, Lang::Ru) => "клиент предлагает версии, наборы шифров и группы и сразу отправляет свою долю ключа, чтобы ключи появились уже после одного обмена",
            (ServerHello, Lang::En) => "the server picks one version, one suite and one group; with both key shares each side now computes the same handshake secret (Diffie-Hellman)",
            (ServerHello, Lang::Ru) => "сервер выбирает одну версию, один набор шифров и одну группу; зная обе доли ключа, стороны независимо вычисляют один и тот же общий секрет (Диффи — Хеллман)",
            (HelloRetryRequest, Lang::En) => "the server wants a key share for a different group: the client must send a new ClientHello",
            (HelloRetryRequest, Lang::Ru) => "серверу нужна доля ключа для другой группы: клиент должен отправить новый ClientHello",
            (CcsCompat, Lang::En) => "a no-op kept only so that old middleboxes let TLS 1.3 through (RFC 8446 §D.4); it changes nothing",
            (CcsCompat, Lang::Ru) => "пустышка для совместимости со старыми промежуточными устройствами (RFC 8446 §D.4); ничего не меняет",
            (CcsTls12, Lang::En) => "from the next record on, this side encrypts with the keys just agreed",
            (CcsTls12, Lang::Ru) => "со следующей записи эта сторона шифрует только что согласованными ключами",
            (EncryptedExtensions, Lang::En) => "the rest of the server's answers (ALPN, …), already encrypted so an eavesdropper cannot see them",
            (EncryptedExtensions, Lang::Ru) => "остальные ответы сервера (ALPN и др.), уже зашифрованные: подслушивающий их не увидит",
            (CertificateRequest, Lang::En) => "the server asks the client to prove who it is with a certificate (mutual TLS)",
            (CertificateRequest, Lang::Ru) => "сервер просит клиента подтвердить свою личность сертификатом (взаимная аутентификация)",
            (ServerCertificate, Lang::En) => "the server's identity: a chain the client checks against its trusted CAs and the name it dialled",
            (ServerCertificate, Lang::Ru) => "удостоверение сервера: цепочка, которую клиент проверяет по доверенным УЦ и по имени, к которому подключался",
            (ClientCertificate, Lang::En) => "the client's identity, checked by the server against the CAs it trusts for clients",
            (ClientCertificate, Lang::Ru) => "удостоверение клиента; сервер проверяет его по УЦ, которым доверяет для клиентов",
            (ServerCertificateVerify, Lang::En) => "the server holds the private key for this certificate — it signed the transcript so far",
            (ServerCertificateVerify, Lang::Ru) => "у сервера есть закрытый ключ этого сертификата: он подписал всю переписку до этого момента",
            (ClientCertificateVerify, Lang::En) => "the client holds the private key for its certificate — it signed the transcript so far",
            (ClientCertificateVerify, Lang::Ru) => "у клиента есть закрытый ключ его сертификата: он подписал всю переписку до этого момента",
            (ServerFinished, Lang::En) => "a MAC over the whole transcript: nothing was altered in transit and the server derived the same keys",
            (ServerFinished, Lang::Ru) => "код аутентификации всей переписки: по дороге ничего не изменено, и сервер получил те же ключи",
            (ClientFinished, Lang::En) => "the client confirms the same transcript and keys; the handshake is complete",
            (ClientFinished, Lang::Ru) => "клиент подтверждает ту же переписку и те же ключи; рукопожатие завершено",
            (ServerKeyExchange, Lang::En) => "the server's ephemeral key-exchange share, signed with its certificate key",
            (ServerKeyExchange, Lang::Ru) => "одноразовая доля ключа сервера, подписанная ключом его сертификата",
            (ServerHelloDone, Lang::En) => "the server has said everything; now it is the client's turn",
            (ServerHelloDone, Lang::Ru) => "сервер всё сказал; теперь очередь клиента",
            (ClientKeyExchangeEcdhe, Lang::En) => "the client's key-exchange share; both sides can now compute the master secret",
            (ClientKeyExchangeEcdhe, Lang::Ru) => "доля ключа клиента; теперь обе стороны могут вычислить главный секрет",
            (ClientKeyExchangeRsa, Lang::En) => "the pre-master secret encrypted to the server's RSA key (no forward secrecy: whoever later steals that key can decrypt this session)",
            (ClientKeyExchangeRsa, Lang::Ru) => "предварительный секрет, зашифрованный RSA-ключом сервера (без прямой секретности: укравший этот ключ позже сможет расшифровать сеанс)",
            (NewSessionTicket, Lang::En) => "a ticket the client may present later to resume without a full handshake",
            (NewSessionTicket, Lang::Ru) => "билет, с которым клиент сможет позже возобновить сеанс без полного рукопожатия",
            (ApplicationData, Lang::En) => "encrypted with the application traffic keys; only the two endpoints can read it",
            (ApplicationData, Lang::Ru) => "зашифровано ключами прикладного трафика; прочитать могут только две стороны соединения",
            (CloseNotify, Lang::En) => "\"I am done sending\": without it a reader cannot tell a truncation attack from a normal end",
            (CloseNotify, Lang::Ru) => "«я закончил передачу»: без него получатель не отличит атаку с обрезанием данных от нормального конца",
            (Alert, Lang::En) => "an alert: the sender reports an error and the connection ends",
            (Alert, Lang::Ru) => "предупреждение об ошибке: отправитель сообщает о проблеме, и соединение закрывается",
            (Encrypted, Lang::En) => "encrypted",
            (Encrypted, Lang::Ru) => "зашифровано",
            (Plaintext, Lang::En) => "plaintext",
            (Plaintext, Lang::Ru) => "открытым текстом",
            (Client, Lang::En) => "client",
            (Client, Lang::Ru) => "клиент",
            (Server, Lang::En) => "server",
            (Server, Lang::Ru) => "сервер",
            (Negotiated, Lang::En) => "Negotiated",
            (Negotiated, Lang::Ru) => "Согласовано",
            (KeysHandshake, Lang::En) => "handshake traffic keys now in use",
            (KeysHandshake, Lang::Ru) => "теперь используются ключи рукопожатия",
            (KeysApplication, Lang::En) => "application traffic keys now in use",
            (KeysApplication, Lang::Ru) => "теперь используются ключи прикладного трафика",
            (DemoTitle, Lang::En) => "A TLS handshake between a clasp client and a clasp server on this machine",
            (DemoTitle, Lang::Ru) => "TLS-рукопожатие между клиентом и сервером clasp на этой машине",
            (ResumeUnsupported, Lang::En) => "session resumption is not implemented in clasp yet (tickets are received but never used)",
            (ResumeUnsupported, Lang::Ru) => "возобновление сеансов в clasp пока не реализовано (билеты принимаются, но не используются)",
        }
    }
}

/// Field labels for the text ladder (JSON keeps the English keys).
pub fn label(key: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return match key {
            "versions" => "versions offered",
            "cipher_suites" => "cipher suites offered",
            "groups" => "groups offered",
            "key_shares" => "key shares",
            "signature_algorithms" => "signature algorithms",
            "alpn" => "ALPN",
            "server_name" => "server name (SNI)",
            "version" => "version chosen",
            "cipher_suite" => "cipher suite chosen",
            "key_share" => "key share",
            "certificates" => "certificates",
            "signature_scheme" => "signature scheme",
            "signature_len" => "signature bytes",
            "verify_data_len" => "verify_data bytes",
            "bytes" => "bytes",
            "level" => "level",
            "description" => "description",
            "lifetime_s" => "lifetime (s)",
            "length" => "length",
            _ => key,
        };
    }
    match key {
        "versions" => "предложенные версии",
        "cipher_suites" => "предложенные наборы шифров",
        "groups" => "предложенные группы",
        "key_shares" => "доли ключа",
        "signature_algorithms" => "алгоритмы подписи",
        "alpn" => "ALPN",
        "server_name" => "имя сервера (SNI)",
        "version" => "выбранная версия",
        "cipher_suite" => "выбранный набор шифров",
        "key_share" => "доля ключа",
        "certificates" => "сертификаты",
        "signature_scheme" => "схема подписи",
        "signature_len" => "байт подписи",
        "verify_data_len" => "байт verify_data",
        "bytes" => "байт",
        "level" => "уровень",
        "description" => "описание",
        "lifetime_s" => "срок действия (с)",
        "length" => "длина",
        "subject" => "субъект",
        "issuer" => "издатель",
        "valid" => "действителен",
        "key" => "ключ",
        _ => key,
    }
}
