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
    ClientHelloResume,
    ServerHelloResume,
    EndOfEarlyData,
    EarlyData,
    ClientHelloResume12,
    ServerHelloResume12,
    SkippedWhy12,
    KxTls12Abbreviated,
    ServerFinishedResumed,
    KeysEarly,
    FullTitle,
    ResumedTitle,
    Skipped,
    SkippedWhy,
    KxStillRan,
    KxPskOnly,
    EarlyAccepted,
    EarlyRefused,
    ReplayCaveat,
    ResumeTls12Unavailable,
    NotResumed,
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
            (ClientHelloResume, Lang::En) => "the client offers the ticket from the earlier session as a pre-shared key (PSK), with a binder proving it holds the resumption secret, and still sends a fresh key share",
            (ClientHelloResume, Lang::Ru) => "клиент предъявляет билет прошлого сеанса как заранее согласованный ключ (PSK) со связкой (binder), доказывающей, что он знает секрет возобновления, и всё равно отправляет свежую долю ключа",
            (ServerHelloResume, Lang::En) => "the server accepts the ticket (PSK) and answers with its own key share: the new keys mix the PSK with a fresh Diffie-Hellman secret (psk_dhe_ke)",
            (ServerHelloResume, Lang::Ru) => "сервер принимает билет (PSK) и отвечает своей долей ключа: новые ключи смешивают PSK со свежим секретом Диффи — Хеллмана (psk_dhe_ke)",
            (EndOfEarlyData, Lang::En) => "the client's 0-RTT data ends here; the rest goes under the handshake keys",
            (EndOfEarlyData, Lang::Ru) => "здесь заканчиваются данные 0-RTT клиента; дальше всё идёт под ключами рукопожатия",
            (EarlyData, Lang::En) => "0-RTT: the request leaves with the ClientHello, before the server has answered, under keys from the ticket; an attacker can replay it, so send only idempotent requests (RFC 8446 §8)",
            (EarlyData, Lang::Ru) => "0-RTT: запрос уходит вместе с ClientHello, до ответа сервера, под ключами из билета; злоумышленник может его повторить, поэтому только идемпотентные запросы (RFC 8446 §8)",
            (ServerFinishedResumed, Lang::En) => "a MAC over the whole transcript under keys that need the first session's secret: this is what proves the server is the one from the first session",
            (ServerFinishedResumed, Lang::Ru) => "код аутентификации всей переписки на ключах, для которых нужен секрет первого сеанса: именно он доказывает, что это сервер из первого сеанса",
            (ClientHelloResume12, Lang::En) => "the client offers to resume the earlier session (its session ticket or session ID) instead of a new key exchange",
            (ClientHelloResume12, Lang::Ru) => "клиент предлагает возобновить прошлый сеанс (его билет или идентификатор сеанса) вместо нового обмена ключами",
            (ServerHelloResume12, Lang::En) => "the server echoes the session ID: it resumes, so the keys come from the earlier master secret and its ChangeCipherSpec and Finished follow at once (abbreviated handshake, RFC 5246 §7.3)",
            (ServerHelloResume12, Lang::Ru) => "сервер повторяет идентификатор сеанса: он возобновляет сеанс, ключи берутся из прежнего главного секрета, и сразу идут его ChangeCipherSpec и Finished (сокращённое рукопожатие, RFC 5246 §7.3)",
            (SkippedWhy12, Lang::En) => "the master secret of the first session authenticates both ends: only they can produce valid Finished messages, so no certificate, signature or key exchange is needed",
            (SkippedWhy12, Lang::Ru) => "главный секрет первого сеанса подтверждает обе стороны: только они могут выдать правильные Finished, поэтому не нужны ни сертификат, ни подпись, ни обмен ключами",
            (KxTls12Abbreviated, Lang::En) => "No key exchange in a TLS 1.2 abbreviated handshake: the new keys come from the first session's master secret and fresh randoms, so whoever obtains that secret (or the ticket key) can decrypt this connection too",
            (KxTls12Abbreviated, Lang::Ru) => "В сокращённом рукопожатии TLS 1.2 обмена ключами нет: новые ключи получены из главного секрета первого сеанса и свежих случайных чисел, поэтому тот, кто добудет этот секрет (или ключ билетов), расшифрует и это соединение",
            (KeysEarly, Lang::En) => "early-data (0-RTT) keys from the ticket now in use",
            (KeysEarly, Lang::Ru) => "теперь используются ключи ранних данных (0-RTT), полученные из билета",
            (FullTitle, Lang::En) => "1. Full handshake: the server proves who it is with its certificate, then sends tickets",
            (FullTitle, Lang::Ru) => "1. Полное рукопожатие: сервер доказывает, кто он, сертификатом, а затем присылает билеты",
            (ResumedTitle, Lang::En) => "2. Resumed handshake: a new TCP connection, the same client configuration, a ticket from connection 1",
            (ResumedTitle, Lang::Ru) => "2. Возобновлённое рукопожатие: новое TCP-соединение, та же конфигурация клиента, билет из соединения 1",
            (Skipped, Lang::En) => "Not sent this time",
            (Skipped, Lang::Ru) => "На этот раз не отправлялись",
            (SkippedWhy, Lang::En) => "the PSK from the first session authenticates the server (and a client that used a certificate then): only the two ends of that session can derive the same keys and produce a valid Finished, so no certificate or signature is needed",
            (SkippedWhy, Lang::Ru) => "сервер (и клиент, если тогда он предъявлял сертификат) подтверждается PSK из первого сеанса: только две стороны того сеанса могут получить те же ключи и правильный Finished, поэтому сертификат и подпись не нужны",
            (KxStillRan, Lang::En) => "The key exchange still ran (psk_dhe_ke): a fresh Diffie-Hellman secret is mixed with the PSK, so forward secrecy is kept",
            (KxStillRan, Lang::Ru) => "Обмен ключами всё равно состоялся (psk_dhe_ke): к PSK подмешан свежий секрет Диффи — Хеллмана, поэтому прямая секретность сохраняется",
            (KxPskOnly, Lang::En) => "No fresh key exchange: the keys come from the session secret alone (no forward secrecy for this connection)",
            (KxPskOnly, Lang::Ru) => "Свежего обмена ключами не было: ключи получены только из секрета сеанса (без прямой секретности для этого соединения)",
            (EarlyAccepted, Lang::En) => "0-RTT: the server accepted the request sent as early data, before the handshake finished",
            (EarlyAccepted, Lang::Ru) => "0-RTT: сервер принял запрос, отправленный ранними данными, ещё до конца рукопожатия",
            (EarlyRefused, Lang::En) => "0-RTT: the server refused the early data; the client sent the request again after the handshake",
            (EarlyRefused, Lang::Ru) => "0-RTT: сервер отказался от ранних данных; клиент отправил запрос повторно после рукопожатия",
            (ReplayCaveat, Lang::En) => "Caution: an attacker who recorded 0-RTT data can replay it to the server; use it only for idempotent requests (RFC 8446 §8)",
            (ReplayCaveat, Lang::Ru) => "Осторожно: записавший данные 0-RTT злоумышленник может повторить их серверу; используйте их только для идемпотентных запросов (RFC 8446 §8)",
            (ResumeTls12Unavailable, Lang::En) => "TLS 1.2 session resumption is not available: the client offered no session ID or ticket, so the second connection ran a full handshake",
            (ResumeTls12Unavailable, Lang::Ru) => "возобновление сеансов TLS 1.2 недоступно: клиент не предложил ни идентификатор сеанса, ни билет, поэтому второе соединение прошло полное рукопожатие",
            (NotResumed, Lang::En) => "the second handshake did not resume the first session",
            (NotResumed, Lang::Ru) => "второе рукопожатие не возобновило первый сеанс",
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
            "psk_identities" => "tickets offered (PSK)",
            "psk_modes" => "PSK modes",
            "session_ticket" => "session ticket",
            "early_data" => "early data (0-RTT)",
            "psk" => "PSK",
            "max_early_data" => "0-RTT allowed (bytes)",
            "group" => "group",
            "resumed" => "resumed",
            "hello_retry" => "HelloRetryRequest",
            "early_data_accepted" => "early data accepted",
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
        "psk_identities" => "предъявлено билетов (PSK)",
        "psk_modes" => "режимы PSK",
        "session_ticket" => "билет сеанса",
        "early_data" => "ранние данные (0-RTT)",
        "psk" => "PSK",
        "max_early_data" => "разрешено 0-RTT (байт)",
        "group" => "группа",
        "resumed" => "возобновлён",
        "hello_retry" => "HelloRetryRequest",
        "early_data_accepted" => "ранние данные приняты",
        "subject" => "субъект",
        "issuer" => "издатель",
        "valid" => "действителен",
        "key" => "ключ",
        _ => key,
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 16: the eavesdropper's view (`--wire`), forward secrecy by attack (`--steal-key`) and
// the cost of the handshake. A separate enum so that the ladder's own strings stay untouched.

/// The sentences of `clasp demo --wire`, `--steal-key` and the cost summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireMsg {
    ClientWord,
    ServerWord,
    Confidentiality,
    Authentication,
    Integrity,
    NoService,
    SvcHello,
    SvcServerHello13,
    SvcServerHello12,
    SvcEncryptedExtensions,
    SvcCertificate,
    SvcCertificateRequest,
    SvcCertificateVerify,
    SvcServerKeyExchange,
    SvcClientKeyExchange,
    SvcCcs12,
    SvcCcs13,
    SvcFinished,
    SvcApplicationData,
    SvcCloseNotify,
    SvcTicket,
    SvcTcp,
    SvcNone,
    SvcHelloDone,
    Offered,
    Accepted,
    Yes,
    WireTitle,
    WireLegend,
    Flight,
    OnTheWire,
    EncryptedOnly,
    Readable,
    Length,
    EndpointsSee,
    Truncated,
    CostTitle,
    RoundTrips,
    TcpConnectTime,
    HandshakeTime,
    FirstAppTime,
    Delay,
    Direction,
    Start,
    End,
    Records,
    Bytes,
    CarriesApp,
    StealTitle,
    StealRecovered,
    StealStepRsa,
    StealStepEms,
    StealStepMaster,
    StealStepResumed,
    StealStepKeyBlock,
    StealStepRecords,
    StealRequest,
    StealResponse,
    StealMoral,
    StealFailed,
    StealWhyTls13,
    StealWhyEcdhe,
    StealWhyDhe,
    StealError,
}

impl WireMsg {
    /// The sentence in `lang`.
    #[allow(clippy::too_many_lines)]
    pub fn text(self, lang: Lang) -> &'static str {
        use WireMsg::*;
        let ru = lang == Lang::Ru;
        let (en, r) = match self {
            ClientWord => ("client", "клиент"),
            ServerWord => ("server", "сервер"),
            Confidentiality => ("confidentiality", "конфиденциальность"),
            Authentication => ("authentication", "аутентификация"),
            Integrity => ("integrity", "целостность"),
            NoService => ("none", "никакой"),
            SvcHello => (
                "sent in the clear: an offer, nothing is protected yet",
                "идёт открыто: это предложение, пока ничего не защищено",
            ),
            SvcServerHello13 => (
                "completes the key exchange: everything after it is encrypted",
                "завершает обмен ключами: всё, что идёт дальше, зашифровано",
            ),
            SvcServerHello12 => (
                "the server's choices, in the clear; the keys come later",
                "выбор сервера, открыто; ключи появятся позже",
            ),
            SvcEncryptedExtensions => (
                "the first encrypted message: the rest of the handshake is hidden from the observer",
                "первое зашифрованное сообщение: остальное рукопожатие скрыто от наблюдателя",
            ),
            SvcCertificate => (
                "the identity claim; the signature that follows proves it",
                "заявка на личность; её доказывает следующая подпись",
            ),
            SvcCertificateRequest => (
                "the server asks the client to prove who it is",
                "сервер просит клиента доказать, кто он",
            ),
            SvcCertificateVerify => (
                "a signature over the transcript with the certificate's key: proves possession of the key",
                "подпись над перепиской ключом сертификата: доказывает владение ключом",
            ),
            SvcServerKeyExchange => (
                "the server's ephemeral share, signed with the certificate's key",
                "одноразовая доля сервера, подписанная ключом сертификата",
            ),
            SvcClientKeyExchange => (
                "the client's contribution to the keys (a share, or the RSA-encrypted pre-master)",
                "вклад клиента в ключи (доля или зашифрованный RSA предварительный секрет)",
            ),
            SvcCcs12 => (
                "from here this side's records are encrypted and authenticated",
                "с этого места записи этой стороны зашифрованы и защищены от изменений",
            ),
            SvcCcs13 => (
                "compatibility only; changes nothing",
                "только для совместимости; ничего не меняет",
            ),
            SvcFinished => (
                "a MAC over the whole transcript: any change on the wire is detected, and the peer proves it holds the keys",
                "код аутентификации над всей перепиской: любое изменение на линии обнаруживается, а сторона доказывает, что у неё есть ключи",
            ),
            SvcApplicationData => (
                "only its size is visible; a changed byte fails the record's tag",
                "видна только длина; изменённый байт не пройдёт проверку тега записи",
            ),
            SvcCloseNotify => (
                "an authenticated end: an attacker cannot fake a truncation",
                "подтверждённый конец: злоумышленник не подделает обрыв",
            ),
            SvcTicket => (
                "a ticket to resume later; it protects nothing now",
                "билет для будущего возобновления; сейчас ничего не защищает",
            ),
            SvcTcp => (
                "TCP itself protects nothing",
                "TCP сам по себе ничего не защищает",
            ),
            SvcNone => ("", ""),
            Offered => ("offered", "предложено"),
            Accepted => ("accepted", "принято"),
            Yes => ("yes", "да"),
            SvcHelloDone => (
                "the server's hello is complete; it now waits for the client",
                "приветствие сервера закончено; теперь он ждёт клиента",
            ),
            WireTitle => (
                "On the wire: what an eavesdropper sees",
                "На линии: что видит подслушивающий",
            ),
            WireLegend => (
                "each record as it crossed the wire (type, legacy version, length, time); then what the endpoints saw, and which of the three services (confidentiality, authentication, integrity) each step provides",
                "каждая запись, как она прошла по линии (тип, версия заголовка, длина, время); затем что увидели стороны и какую из трёх услуг (конфиденциальность, аутентификация, целостность) даёт каждый шаг",
            ),
            Flight => ("flight", "полёт"),
            OnTheWire => ("on the wire", "на линии"),
            EncryptedOnly => ("encrypted: only the size is visible", "зашифровано: видна только длина"),
            Readable => ("readable by anyone", "читается кем угодно"),
            Length => ("length", "длина"),
            EndpointsSee => ("what the endpoints see, and what each step provides:", "что видят стороны и что даёт каждый шаг:"),
            Truncated => ("(capture truncated)", "(запись обрезана)"),
            CostTitle => ("Cost", "Цена"),
            RoundTrips => (
                "round trips before the first application byte (TCP included)",
                "обменов туда и обратно до первого байта приложения (с TCP)",
            ),
            TcpConnectTime => ("TCP connect", "TCP-соединение"),
            HandshakeTime => ("handshake done at", "рукопожатие завершено через"),
            FirstAppTime => ("first application byte at", "первый байт приложения через"),
            Delay => ("simulated one-way delay", "имитируемая задержка в одну сторону"),
            Direction => ("direction", "направление"),
            Start => ("start", "начало"),
            End => ("end", "конец"),
            Records => ("records", "записей"),
            Bytes => ("bytes", "байт"),
            CarriesApp => ("(the first application data)", "(первые данные приложения)"),
            StealTitle => (
                "Later, an attacker who recorded these bytes steals the server's private key",
                "Позже злоумышленник, записавший эти байты, крадёт закрытый ключ сервера",
            ),
            StealRecovered => (
                "The stolen key opens the recorded session:",
                "Украденный ключ открывает записанный сеанс:",
            ),
            StealStepRsa => (
                "decrypted the recorded ClientKeyExchange with the private key (RSA PKCS#1 v1.5): the 48-byte pre-master secret",
                "расшифровал записанный ClientKeyExchange закрытым ключом (RSA PKCS#1 v1.5): 48 байт предварительного секрета",
            ),
            StealStepEms => (
                "master secret = PRF(pre-master, \"extended master secret\", hash of the recorded handshake) (RFC 7627)",
                "главный секрет = PRF(предварительный секрет, \"extended master secret\", хеш записанного рукопожатия) (RFC 7627)",
            ),
            StealStepMaster => (
                "master secret = PRF(pre-master, \"master secret\", client random + server random) (RFC 5246 §8.1)",
                "главный секрет = PRF(предварительный секрет, \"master secret\", случайные числа клиента и сервера) (RFC 5246 §8.1)",
            ),
            StealStepResumed => (
                "a resumed session: the master secret recovered from the earlier connection, with the new randoms (RFC 5246 §7.3)",
                "возобновлённый сеанс: главный секрет, добытый из прошлого соединения, с новыми случайными числами (RFC 5246 §7.3)",
            ),
            StealStepKeyBlock => (
                "key block = PRF(master secret, \"key expansion\", server random + client random): both sides' write keys (RFC 5246 §6.3)",
                "блок ключей = PRF(главный секрет, \"key expansion\", случайные числа сервера и клиента): ключи записи обеих сторон (RFC 5246 §6.3)",
            ),
            StealStepRecords => (
                "opened the recorded records with those keys (AES-GCM, RFC 5288)",
                "открыл записанные записи этими ключами (AES-GCM, RFC 5288)",
            ),
            StealRequest => ("the client's request, decrypted", "запрос клиента, расшифрованный"),
            StealResponse => ("the server's response, decrypted", "ответ сервера, расшифрованный"),
            StealMoral => (
                "RSA key transport has no forward secrecy: whoever gets the server's key later reads every recorded session",
                "у передачи ключа через RSA нет прямой секретности: кто позже получит ключ сервера, прочтёт каждый записанный сеанс",
            ),
            StealFailed => (
                "The same attack fails: there is no key transport to decrypt.",
                "Та же атака не удаётся: расшифровывать нечего, ключ не передавался.",
            ),
            StealWhyTls13 => (
                "TLS 1.3 always uses ephemeral (EC)DHE: the private key only signed CertificateVerify; the session keys came from one-time private values that were never stored",
                "TLS 1.3 всегда использует одноразовый (EC)DHE: закрытый ключ только подписал CertificateVerify; ключи сеанса получены из одноразовых закрытых значений, которые нигде не сохранились",
            ),
            StealWhyEcdhe => (
                "ECDHE: the private key only signed the server's ephemeral share; the session keys came from one-time private values that were never stored",
                "ECDHE: закрытый ключ только подписал одноразовую долю сервера; ключи сеанса получены из одноразовых закрытых значений, которые нигде не сохранились",
            ),
            StealWhyDhe => (
                "DHE: the private key only signed the server's ephemeral share; the session keys came from one-time private values that were never stored",
                "DHE: закрытый ключ только подписал одноразовую долю сервера; ключи сеанса получены из одноразовых закрытых значений, которые нигде не сохранились",
            ),
            StealError => ("the attack could not run", "атаку провести не удалось"),
        };
        if ru {
            r
        } else {
            en
        }
    }
}
