"""The project's hand-written lexicons: vote buying, violence/intimidation and counter-narrative cues.

No labelled data exists for vote buying or election violence, so these rules *are* the model for
them (violence is combined with a radicalism text model). Patterns run on case-folded text without
diacritics (``RuleScorer.prepare``). Each entry's meaning is documented here and in docs/classifiers.md.

No place of a particular region is written here: a rule with ``near_places`` also accepts the place
names the scorer is given (``RuleScorer(ALL_RULES, places=...)``, from the config's region and districts).
"""

from __future__ import annotations

from classifiers.rules import Rule

# Shared vocabulary (regular-expression alternations).
VOTE = (
    r"\b(pilih|memilih|milih|dipilih|pilihlah|coblos|mencoblos|nyoblos|dicoblos|coblosan|suara|"
    r"paslon|calon|cabup|cawabup|bupati|kades|nomor|nomer|nmr|no urut|no\.?\s?\d+|tps|pilkada|pemilu|"
    r"pileg|"
    r"mele|melle|soara|nyoblos|pemilih|hak pilih)\b"
)
AMOUNT = (
    r"(\brp\.?\s?\d|\b\d+\s?(rb|ribu|rebu|ebu|k|jt|juta)\b|\b(sepuluh|dua puluh|lima puluh|seratus|"
    r"dua ratus|lima ratus|sapolo|saeket|saket|saratos|duratos|lema ebu)\s*(ribu|rebu|ebu)?\b)"
)
MONEY = (
    r"(\brp\.?\s?\d|\b\d+\s?(rb|ribu|rebu|ebu|k|jt|juta)\b|\b(uang|duit|doku|fulus|amplop|pesse|"
    r"pessena|obang|obeng|sangu|sembako|beras|cash|tunai|transfer|saweran)\b)"
)
TARGET = (
    r"\b(tps|kpu|kantor kpu|kpud|bawaslu|panwas|panwaslu|kpps|ppk|pps|kotak suara|surat suara|"
    r"posko|kantor|balai desa|rumah|saksi|petugas|panitia|pendukung|pemilih|warga|ketua|"
    r"kalian|kamu|kau|lo|lu|elo|dia|mereka|calon|paslon|kiai|kyai|klebun|kades)\b"
)
KILL = (
    r"\b(bunuh|bunuhlah|membunuh|dibunuh|habisi|habisin|menghabisi|dihabisi|bantai|membantai|"
    r"dibantai|gorok|digorok|penggal|dipenggal|tebas|ditebas|tebbhas|tebbas|mate'e|matee|mateyeh|"
    r"mateya|pate'en|pateen|pateye|pateyeh|matiin|matikan|bacok|dibacok|membacok|tusuk|ditusuk|"
    r"tembak|ditembak|celeng|gantung|digantung)\b"
)

VOTE_BUYING_RULES: tuple[Rule, ...] = (
    Rule(
        "vb_politik_uang",
        "vote_buying",
        r"\b(politik uang|money ?politics?|politik duit|poltik uang)\b",
        1.0,
        "'politik uang' / 'money politic': the name of vote buying (often in reports and appeals)",
    ),
    Rule(
        "vb_serangan_fajar",
        "vote_buying",
        r"\bserangan (fajar|subuh|dhuha|duha)\b",
        1.2,
        "'serangan fajar' (dawn attack): handing out money or goods just before voting",
    ),
    Rule(
        "vb_buy_votes",
        "vote_buying",
        r"\b(beli|membeli|dibeli|beli-beli|jual|menjual|dijual|borong|memborong)\s+(suara|hak pilih)\w*\b",
        1.6,
        "buying or selling votes ('beli suara', 'jual suara')",
    ),
    Rule(
        "vb_paid_to_vote",
        "vote_buying",
        r"\b(dibayar|bayar|dibayarin|dikasih|dikasi|diberi|dapat|dapet|terima|nerima|menerima|ekaparenge|"
        r"eberri|olle)\b(\W+\w+){0,4}?\W+(untuk|buat|biar|agar|supaya|asal|asalkan|ghebey|mon|kalau|"
        r"kalo)\W+(\w+\W+)?(memilih|milih|pilih|nyoblos|mencoblos|coblos|mele|melle)\b",
        1.6,
        "paid / given something to vote ('dibayar untuk memilih', 'dikasih asal nyoblos')",
    ),
    Rule(
        "vb_price_per_vote",
        "vote_buying",
        r"(\brp\.?\s?\d[\d.,]*|\b\d[\d.,]*\s?(rb|ribu|rebu|ebu|k|jt|juta)\b)\s*(per|/|tiap|setiap|sa|se|"
        r"untuk)\s*(suara|kepala|orang|kk|pemilih|jiwa|coblosan|biji|oreng|soara|rumah)\b",
        1.8,
        "a price per vote, head or household ('50 ribu per suara', '100rb/kepala')",
    ),
    Rule(
        "vb_envelope_vote",
        "vote_buying",
        r"\bamplop\w*\b",
        1.4,
        "an envelope (of money) mentioned near voting words",
        near=VOTE,
    ),
    Rule(
        "vb_hand_out",
        "vote_buying",
        r"\b(bagi|bagi bagi|bagi-bagi|membagi|membagikan|dibagikan|dibagi|bagikan|sebar|menyebar|nyebar|"
        r"tebar|begi|ebagi|ebegi|ngibe|ngiba|eberrik?e?)\s+(uang|duit|amplop|sembako|beras|pesse|"
        r"pessena|sarung|obang|sangu|voucher|pulsa)\b",
        1.0,
        "handing out money or goods ('bagi-bagi uang/sembako', Madurese 'bâgi pèssè')",
    ),
    Rule(
        "vb_hand_out_vote",
        "vote_buying",
        r"\b(bagi|membagi|membagikan|dibagikan|dibagi|bagikan|sebar|tebar|begi|ebagi|ngibe|beri|memberi|"
        r"kasih|ngasih)\b",
        0.8,
        "handing something out near both money and voting words",
        near=r"(" + MONEY + r"[\s\S]{0,60}" + VOTE + r"|" + VOTE + r"[\s\S]{0,60}" + MONEY + r")",
    ),
    Rule(
        "vb_vote_number_money",
        "vote_buying",
        r"\b(pilih|coblos|nyoblos|mele|melle|pilihlah|coblosan)\s+(nomor|no\.?|nomer|nmr\.?|paslon|calon)"
        r"\s*\d*\b",
        1.2,
        "'choose number N' near money words",
        near=MONEY,
        window=60,
    ),
    Rule(
        "vb_madurese_money_vote",
        "vote_buying",
        r"\b(pesse|pessena|obang|obeng|sangu)\b",
        1.4,
        "Madurese money words ('pèssè', 'obâng') near voting words ('mele', 'nyoblos', 'soara')",
        near=VOTE,
        window=60,
    ),
    Rule(
        "vb_transport_money",
        "vote_buying",
        r"\buang (transport|bensin|rokok|saku|lelah|makan)\b",
        0.8,
        "'uang transport/rokok' offered around voting",
        near=VOTE,
    ),
    Rule(
        "vb_sembako_vote",
        "vote_buying",
        r"\b(sembako|beras|sarung)\b",
        0.7,
        "staple goods ('sembako', rice, sarongs) near voting words",
        near=VOTE,
        window=60,
    ),
    Rule(
        "vb_per_person",
        "vote_buying",
        r"\b(saoreng|sa oreng|se oreng|per oreng|per kepala|perkepala|per orang|per kk|per rumah|"
        r"tiap orang|setiap orang|tiap kk|tiap rumah|per jiwa)\b",
        1.2,
        "an amount per person or household ('per kepala', Madurese 'saorèng')",
        near=AMOUNT + "|" + MONEY,
        window=60,
    ),
    Rule(
        "vb_conditional_payment",
        "vote_buying",
        r"\b(asal|asalkan|syarat|syaratnya|pokok|pokoke|pokoknya|yang penting)\b",
        1.2,
        "money or goods offered on a condition ('50 ribu asal fotokan KTP', 'pokok nyoblos')",
        near=AMOUNT + r"|\b(amplop|pesse|sembako)\b",
        window=45,
    ),
    Rule(
        "vb_intent",
        "vote_buying",
        r"\b(siap|ayo|dijamin|pasti dapat|pasti dapet|yang penting|jangan lupa|nanti dapat|nanti dapet|"
        r"ditunggu|gratis|langsung cair|cair)\b",
        0.5,
        "intent or promise wording ('siap', 'dijamin', 'nanti dapat') near an amount, envelope or goods",
        near=AMOUNT + r"|\b(amplop|pesse|sembako)\b",
        window=50,
    ),
)

VIOLENCE_RULES: tuple[Rule, ...] = (
    Rule(
        "vt_burn_election_site",
        "violence_threat",
        r"\b(bakar|bakarlah|membakar|dibakar|bakar bakar|kita bakar|obbhar|obbar|tonon|ditonon)\b"
        r"(\W+\w+){0,3}?\W+(tps|kpu|kpud|kantor kpu|bawaslu|panwas|kotak suara|kotaknya|kotak|"
        r"surat suara|kantor|posko|balai desa|rumah|rumahnya|gedung)\b|"
        r"\b(tps|kpu|kantor kpu|bawaslu|kotak suara|posko)\b(\W+\w+){0,3}?"
        r"\W+(dibakar|bakar|kita bakar|ditonon)\b",
        2.5,
        "burning a polling station, election office, ballot box or house: a threat whatever its wording",
        reportable=False,
    ),
    Rule(
        "vt_carok",
        "violence_threat",
        r"\bcarok\w*\b",
        1.2,
        "'carok': a Madurese violent duel with sickles, a real tension marker",
    ),
    Rule(
        "vt_kill",
        "violence_threat",
        KILL,
        0.9,
        "killing or wounding verbs (Indonesian and Madurese: 'bunuh', 'habisi', 'mate'e', 'tebbhâs')",
    ),
    Rule(
        "vt_kill_target",
        "violence_threat",
        KILL,
        0.9,
        "a killing/wounding verb near a person or election target",
        near=TARGET,
        window=40,
    ),
    Rule(
        "vt_storm",
        "violence_threat",
        r"\b(serbu|serbuan|menyerbu|geruduk|gruduk|menggeruduk|kepung|mengepung|duduki|menduduki|ratakan|"
        r"hancurkan|obrak abrik|sweeping|segel paksa|usir|mengusir|bubarkan paksa)\b",
        1.3,
        "storming, besieging or destroying a target ('serbu kantor KPU')",
        near=TARGET,
        window=50,
    ),
    Rule(
        "vt_awas_kalau",
        "violence_threat",
        r"\bawas\s+(kalau|kalo|klo|klu|lek|mon|jika|bila|aja|saja|lu|lo|kau|kamu|kalian|ya)\b",
        1.0,
        "'awas kalau ...' (watch out if ...): a conditional threat",
        negatable=False,
    ),
    Rule(
        "vt_vote_or_else",
        "violence_threat",
        r"\b(kalau|kalo|klo|jika|mon|bila|yang)\b(\W+\w+){0,4}?\W+(tidak|gak|nggak|ga|ndak|ta'|tak|enjek)"
        r"\W+(pilih|milih|memilih|coblos|nyoblos|mele|melle)\b",
        1.4,
        "'if you don't vote for X ...' followed by a consequence (intimidation of voters)",
        near=r"\b(awas|akibatnya|rasakan|habis|celaka|bunuh|usir|diusir|cabut|dicabut|putus|diputus|"
        r"tidak dapat|gak dapat|dicoret|bantuan|pecat|dipecat|kami tahu|tanggung sendiri)\b",
        window=80,
        negatable=False,
    ),
    Rule(
        "vt_bloodshed",
        "violence_threat",
        r"\b(pertumpahan darah|tumpah darah|banjir darah|halal darahnya|darahnya halal|siap perang|"
        r"perang total|siap mati|jihad|mati syahid|revolusi berdarah)\b",
        0.9,
        "bloodshed, war or martyrdom wording ('siap perang', 'halal darahnya')",
    ),
    Rule(
        "vt_weapon",
        "violence_threat",
        r"\b(celurit|clurit|calo'|are'|sajam|senjata tajam|golok|parang|bom|molotov|pistol|senapan)(?!\w)",
        0.6,
        "weapons ('celurit', Madurese 'are'' sickle, 'bom', 'molotov')",
    ),
    Rule(
        "vt_we_know",
        "violence_threat",
        r"\b(kami|kita|aku|gue|gw)\s+(tahu|tau|sudah tahu|udah tau)\s+(rumah|alamat|keluarga|anak)\w*\b",
        1.4,
        "'we know where you live / your family': intimidation",
        negatable=False,
    ),
    Rule(
        "vt_threat_word",
        "violence_threat",
        r"\b(ancam|mengancam|diancam|ancaman|intimidasi|mengintimidasi|diintimidasi|teror|meneror|"
        r"diteror|persekusi)\b",
        0.5,
        "naming a threat or intimidation (often in reports)",
    ),
    Rule(
        "vt_beat",
        "violence_threat",
        r"\b(hajar|kuhajar|hajarlah|dihajar|gebuk|gebukin|digebuk|keroyok|dikeroyok|pukuli|tonjok|"
        r"ditonjok|sikat|kusikat|labrak|dilabrak)\b",
        1.0,
        "beating someone up ('kuhajar', 'keroyok', 'labrak')",
        near=TARGET + r"|\b(besok|nanti|ketemu)\b",
        window=60,
    ),
    Rule(
        "vt_visit_home",
        "violence_threat",
        r"\b(datangi|datengin|samperin|sambangi|geruduk|satroni|nyatroni)\b(\W+\w+){0,2}?\W+"
        r"(rumah|rumahnya|keluarga|keluarganya|kampung)\w*\b",
        1.3,
        "'we will come to your house' (intimidation of officials, witnesses or voters)",
    ),
    Rule(
        "vt_we_know_who",
        "violence_threat",
        r"\b(engkok|sengko'|kami|kita|aku|gue|gw)\s+(oneng|tahu|tau|taoh|kenal)\s+(sapa|siapa|"
        r"rumah|alamat)\b",
        1.4,
        "'I know who you are' (Madurese 'engkok oneng sapa bâ'na'): intimidation",
        negatable=False,
    ),
    Rule(
        "vt_banish",
        "violence_threat",
        r"\b(ja'|jha'|jangan|ta' usah|tak usah)\s+(abali|bali|balik|pulang|kembali)\b",
        1.2,
        "'don't come back (to the village)' (Madurese 'jhâ' abâli ka kampong'): banishment threat",
        near=r"\b(kampong|kampung|desa|sini)\b",
        near_places=True,
        window=40,
        negatable=False,
    ),
    Rule(
        "vt_dont_blame_us",
        "violence_threat",
        r"\bjangan (salahkan|salahin|nyalahin) (kami|kita|warga|massa|kalau|kalo)\b",
        1.2,
        "'don't blame us (if ...)': a veiled threat",
        negatable=False,
    ),
)

COUNTER_NARRATIVE_RULES: tuple[Rule, ...] = (
    Rule(
        "cn_clarification",
        "counter_narrative",
        r"\b(klarifikasi|mengklarifikasi|meluruskan|pelurusan|bantahan|membantah|dibantah|menepis)\b",
        0.9,
        "clarification or denial wording",
        negatable=False,
        reportable=False,
    ),
    Rule(
        "cn_hoax_label",
        "counter_narrative",
        r"(?<!bukan )(?<!bkn )(?<!bukan berita )\b(hoaks|hoax|hoaxs|berita bohong|kabar bohong|disinformasi|"
        r"misinformasi|informasi palsu|berita palsu)\b",
        0.5,
        "calling something a hoax (not 'bukan hoax', which spreaders write)",
        negatable=False,
        reportable=False,
    ),
    Rule(
        "cn_verdict_tag",
        "counter_narrative",
        r"\[\s?(salah|hoaks|hoax|disinformasi|misinformasi|klarifikasi|fitnah|penipuan|satire)\s?\]|"
        r"\b(cek fakta|periksa fakta|turnbackhoax|mafindo|faktanya|fakta sebenarnya|penjelasan:)\b",
        1.0,
        "fact-check verdict tags ('[SALAH]', 'cek fakta', 'faktanya')",
        negatable=False,
        reportable=False,
    ),
    Rule(
        "cn_not_true",
        "counter_narrative",
        r"\b(tidak benar|tak benar|tidak sesuai fakta|tidak berdasar|tidak terbukti|bukan fakta|"
        r"dipastikan tidak|dapat dipastikan|telah dipastikan|palsu)\b",
        0.6,
        "'tidak benar' / 'not true' statements",
        negatable=False,
        reportable=False,
    ),
    Rule(
        "cn_official_clarifies",
        "counter_narrative",
        r"\b(kpu|bawaslu|polres|polri|polisi|polda|kominfo|pemkab|kemenkes|kemenag|pemerintah|"
        r"kapolres|juru bicara|humas)\b(\W+\w+){0,3}?\W+(memastikan|menegaskan|membantah|mengklarifikasi|"
        r"meluruskan|menyatakan tidak|menjelaskan)\b",
        0.8,
        "an official body confirms, denies or explains",
        negatable=False,
        reportable=False,
    ),
)

# Chain-message framing of hoaxes: urging readers to spread a claim fast, hearsay attributions.
# These feed the hoax signal together with the text model (see weights.COMBINE["hoax_rules"]).
HOAX_RULES: tuple[Rule, ...] = (
    Rule(
        "hx_spread_urge",
        "hoax",
        r"\b(sebarkan|sebarluaskan|viralkan|teruskan|broadcastkan|share ke|bagikan ke)\b",
        1.0,
        "urging readers to spread the message ('sebarkan!', 'viralkan'); 'jangan sebarkan' is negated",
        reported_speech=False,
    ),
    Rule(
        "hx_before_deleted",
        "hoax",
        r"\bsebelum (dihapus|di hapus|dihilangkan|di ?take ?down|diblokir)\b",
        1.2,
        "'before it is deleted': the classic chain-message urgency",
        reported_speech=False,
    ),
    Rule(
        "hx_alarm_header",
        "hoax",
        r"\b(info penting|berita penting|informasi penting|viral|heboh|gawat|breaking news|"
        r"pengumuman)\b\W{0,3}!",
        0.6,
        "an alarm header with exclamation ('INFO PENTING!!', 'VIRAL!')",
        reported_speech=False,
    ),
    Rule(
        "hx_hearsay",
        "hoax",
        r"\b(katanya|kabarnya|konon|dengar dengar|info dari grup|dari grup sebelah|copas dari|"
        r"sumber terpercaya|orang dalam|kata orang)\b",
        0.5,
        "hearsay attribution ('katanya', 'info dari grup sebelah', 'orang dalam')",
        negatable=False,
        reported_speech=False,
    ),
)

# Inter-group (SARA) provocation: a group named by ethnicity, religion, race, origin or creed, near
# hostile wording. They feed sara and hate_speech with the text models (weights.COMBINE).
GROUP = (
    r"\b(suku|etnis|ras|agama|aliran|keturunan|pendatang|orang luar|warga luar|asing|aseng|cina|"
    r"china|tionghoa|arab|jawa|kafir|syiah|wahabi|ahmadiyah|kristen|katolik|nasrani|hindu|budha|"
    r"buddha|non muslim|nonmuslim|pribumi|warga asli|orang asli|kampung sebelah|desa sebelah|"
    r"suku sebelah|kelompok|golongan|umat)\b"
)
HOSTILE = (
    r"\b(usir|usir saja|diusir|bersihkan|basmi|musnahkan|enyahkan|jangan (dikasih|diberi|kasih) "
    r"tempat|tidak pantas|haram|sesat|khianat|pengkhianat|penjajah|biang|tukang bikin ribut|"
    r"bubarkan|dibubarkan|merusak akidah|perusak|musuh|najis|jangan disalatkan|tidak usah disalatkan|"
    r"darahnya beda|darah mereka beda|bukan orang kita|bukan warga asli)\b"
)
SARA_RULES: tuple[Rule, ...] = (
    Rule(
        "sara_group_hostility",
        "sara",
        GROUP,
        1.5,
        "a group named by ethnicity, religion, race, origin or creed near hostile wording "
        "('usir', 'bersihkan', 'sesat', 'khianat', 'jangan dikasih tempat')",
        near=HOSTILE,
        window=90,
    ),
    Rule(
        "sara_blood_origin",
        "sara",
        r"\b(darah (mereka|nya) (beda|lain)|keturunan (luar|asing|cina|arab)|bukan (orang|warga) asli|"
        r"orang pendatang)\b",
        1.0,
        "othering by blood or origin ('darah mereka beda', 'keturunan luar')",
    ),
    Rule(
        "sara_creed_insult",
        "sara",
        r"\b(kafir|aliran sesat|murtad|antek (asing|aseng|yahudi|cina)|tidak membela ulama|"
        r"musuh (islam|agama|ulama)|jangan disalatkan)\b",
        1.0,
        "religious othering or insult ('kafir', 'aliran sesat', 'jangan disalatkan')",
    ),
)

ALL_RULES: tuple[Rule, ...] = (
    VOTE_BUYING_RULES + VIOLENCE_RULES + COUNTER_NARRATIVE_RULES + HOAX_RULES + SARA_RULES
)
