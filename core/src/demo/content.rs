//! What the demo desk says: a municipal complaints desk's categories, reports, replies and notes, in
//! Indonesian and English, with the places they happen in. Plain data and one fill-in helper.
//!
//! Report texts use placeholders filled per ticket: `{street}`, `{area}` (a kelurahan or housing
//! estate), `{landmark}` (worded in the ticket's language), `{days}` (two days to a week, in words) and
//! `{rt}` (the neighbourhood unit, two digits). Some agent texts also use `{key}` (another ticket) and
//! `{name}` (an agent), filled where they are used.

use loket_protocol::ticket::Priority;
use loket_protocol::ticket::Priority::{High, Low, Normal, Urgent};

/// The language a demo ticket is written in (and its reporter speaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Bahasa Indonesia.
    Id,
    /// English.
    En,
}

impl Lang {
    /// The code stored in `reporters.language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

/// Texts in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Both {
    pub id: &'static [&'static str],
    pub en: &'static [&'static str],
}

impl Both {
    pub fn get(&self, lang: Lang) -> &'static [&'static str] {
        match lang {
            Lang::Id => self.id,
            Lang::En => self.en,
        }
    }
}

/// A report as a member of the public would write it.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub title: &'static str,
    pub body: &'static str,
    /// How urgent it usually is; the generator nudges it now and then.
    pub priority: Priority,
}

const fn report(title: &'static str, body: &'static str, priority: Priority) -> Report {
    Report { title, body, priority }
}

/// One category of the desk and everything said about its tickets.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    /// Shown to agents and, in the bot, to reporters: both languages in one name.
    pub name: &'static str,
    /// How often reports fall in this category, relative to the others.
    pub weight: u32,
    pub reports_id: &'static [Report],
    pub reports_en: &'static [Report],
    /// The first public answer: the report was passed on.
    pub ack: Both,
    /// Public: the work is scheduled or waits for someone.
    pub pending: Both,
    /// Public: done.
    pub resolved: Both,
    /// Internal notes between agents (they write them in Indonesian).
    pub notes: &'static [&'static str],
}

impl Category {
    pub fn reports(&self, lang: Lang) -> &'static [Report] {
        match lang {
            Lang::Id => self.reports_id,
            Lang::En => self.reports_en,
        }
    }
}

/// The desk's categories, in the order they are created.
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "Jalan & Trotoar / Roads",
        weight: 18,
        reports_id: &[
            report(
                "Jalan berlubang di {street} dekat {landmark}",
                "Ada lubang cukup dalam di tengah jalan, sudah {days} belum ditambal. Kalau hujan lubangnya tertutup air dan tidak kelihatan. Kemarin ada pengendara motor yang jatuh di situ.",
                High,
            ),
            report(
                "Aspal {street} mengelupas setelah galian kabel",
                "Bekas galian kabel di {street} hanya ditutup tanah, sekarang aspalnya mengelupas sepanjang kira-kira 20 meter. Mohon dicek siapa kontraktornya dan diperbaiki.",
                Normal,
            ),
            report(
                "Trotoar rusak di depan {landmark}",
                "Paving trotoar di depan {landmark} di {street} banyak yang lepas dan naik. Pejalan kaki, terutama anak-anak sekolah, terpaksa turun ke badan jalan.",
                Normal,
            ),
            report(
                "Polisi tidur terlalu tinggi di RT {rt} {area}",
                "Warga membuat polisi tidur baru di gang masuk RT {rt}, tingginya hampir 20 cm dan tidak dicat. Sudah beberapa motor yang bagian bawahnya tersangkut. Apakah ini sudah ada izinnya?",
                Low,
            ),
            report(
                "Jembatan kecil di {area} retak",
                "Jembatan penghubung di {area} yang biasa dilewati warga ke pasar retak di bagian pinggir dan besi pegangannya sudah berkarat. Kami khawatir ambruk kalau dilewati mobil bak.",
                Urgent,
            ),
        ],
        reports_en: &[
            report(
                "Pothole on {street} near {landmark}",
                "There is a deep pothole in the middle of the road that has not been patched for {days}. When it rains it fills with water and you cannot see it. A motorcyclist fell there yesterday.",
                High,
            ),
            report(
                "Road surface breaking up on {street} after cable works",
                "The trench dug for cable works on {street} was only filled with soil, and now the asphalt is breaking up over about 20 metres. Could you find out which contractor did it and have it repaired?",
                Normal,
            ),
            report(
                "Broken pavement in front of {landmark}",
                "Many paving blocks in front of {landmark} on {street} are loose or raised. People on foot, schoolchildren especially, have to step out into the road.",
                Normal,
            ),
            report(
                "Speed bump far too high in RT {rt}, {area}",
                "Residents have built a new speed bump at the entrance to RT {rt}. It is almost 20 cm high and not painted, and several motorbikes have scraped their underside on it. Was it ever approved?",
                Low,
            ),
            report(
                "Cracks in the small bridge in {area}",
                "The footbridge in {area} that people use to get to the market has cracks along the edge, and the railings are rusting through. I am worried it will give way if a pickup drives over it.",
                Urgent,
            ),
        ],
        ack: Both {
            id: &[
                "Terima kasih atas laporannya. Sudah kami teruskan ke Bidang Bina Marga, petugas akan meninjau lokasi dalam 3 hari kerja.",
                "Laporan Anda sudah kami terima dan kami teruskan ke tim pemeliharaan jalan. Kami kabari lagi setelah lokasi ditinjau.",
            ],
            en: &[
                "Thank you for reporting this. We have passed it to the roads department (Bina Marga), and an inspector will visit within three working days.",
                "We have received your report and passed it to the road maintenance team. We will let you know once they have been to the site.",
            ],
        },
        pending: Both {
            id: &[
                "Petugas sudah meninjau lokasi. Perbaikan masuk jadwal penambalan minggu depan, asalkan cuaca cerah.",
                "Lokasi sudah dicek. Karena kerusakannya cukup luas, perbaikan menunggu material aspal dari UPT. Kami usahakan secepatnya.",
            ],
            en: &[
                "An inspector has been to the site. The repair is on next week's patching schedule, weather permitting.",
                "The site has been checked. The damage is quite extensive, so the repair is waiting for asphalt from the depot. We are doing our best to speed it up.",
            ],
        },
        resolved: Both {
            id: &[
                "Perbaikan sudah selesai dikerjakan oleh tim Bina Marga. Terima kasih sudah melapor.",
                "Jalan sudah ditambal dan dipadatkan kemarin sore. Jika masih ada kerusakan, silakan balas pesan ini.",
            ],
            en: &[
                "The roads team has finished the repair. Thank you for letting us know.",
                "The road was patched and compacted yesterday afternoon. If anything is still wrong, please reply to this message.",
            ],
        },
        notes: &[
            "Sudah koordinasi dengan Bina Marga, masuk daftar tambal sulam pekan ini.",
            "Galian milik kontraktor fiber optik, sudah dikirim surat teguran untuk mengembalikan kondisi jalan.",
            "Perlu survei ulang, ukuran kerusakan di foto lebih besar dari perkiraan.",
        ],
    },
    Category {
        name: "Lampu Jalan / Street Lights",
        weight: 16,
        reports_id: &[
            report(
                "Lampu jalan mati di {street} sejak {days} lalu",
                "Tiga lampu penerangan jalan di {street} antara {landmark} dan perempatan mati semua sejak {days} lalu. Malam hari gelap sekali, warga takut lewat.",
                High,
            ),
            report(
                "Lampu jalan di {street} menyala terus siang hari",
                "Lampu PJU di {street} menyala terus dari pagi sampai sore. Sepertinya sensor atau timernya rusak. Sayang listriknya terbuang.",
                Low,
            ),
            report(
                "Tiang lampu miring hampir roboh di {area}",
                "Tiang lampu di jalan masuk {area} miring sejak tertabrak truk minggu lalu, kabelnya juga menjuntai rendah. Mohon segera ditangani sebelum ada yang tersengat.",
                Urgent,
            ),
            report(
                "Lampu jalan berkedip-kedip di depan {landmark}",
                "Lampu jalan di depan {landmark} di {street} berkedip sepanjang malam, kadang mati sama sekali. Silau dan mengganggu pengendara.",
                Normal,
            ),
            report(
                "Gang RT {rt} {area} belum ada penerangan",
                "Gang di RT {rt} sepanjang kira-kira 150 meter sama sekali belum ada lampu jalan. Beberapa kali terjadi penjambretan di sini. Apakah bisa diajukan pemasangan lampu baru?",
                Normal,
            ),
        ],
        reports_en: &[
            report(
                "Street lights out on {street} for {days}",
                "Three street lights on {street} between {landmark} and the crossroads have all been out for {days}. It is very dark at night and people are afraid to walk there.",
                High,
            ),
            report(
                "Street light on {street} stays on all day",
                "The street light on {street} stays on from morning until evening; the sensor or timer seems to be broken. It is a waste of electricity.",
                Low,
            ),
            report(
                "Leaning lamp post about to fall in {area}",
                "The lamp post at the entrance to {area} has been leaning since a truck hit it last week, and its cable hangs low. Please deal with it before someone gets a shock.",
                Urgent,
            ),
            report(
                "Flickering street light in front of {landmark}",
                "The street light in front of {landmark} on {street} flickers all night and sometimes goes out completely. It dazzles drivers.",
                Normal,
            ),
            report(
                "No lighting at all in the lane of RT {rt}, {area}",
                "The lane in RT {rt} is about 150 metres long and has no street lights at all. There have been several bag snatchings here. Can new lights be requested?",
                Normal,
            ),
        ],
        ack: Both {
            id: &[
                "Terima kasih, laporan sudah kami teruskan ke UPT Penerangan Jalan Umum. Petugas dijadwalkan memeriksa dalam 2x24 jam.",
                "Laporan sudah kami catat dan teruskan ke tim PJU. Mohon maaf atas ketidaknyamanannya.",
            ],
            en: &[
                "Thank you, we have forwarded this to the street lighting unit (UPT PJU). A technician is scheduled to check it within 48 hours.",
                "We have logged your report and passed it to the street lighting team. We apologise for the inconvenience.",
            ],
        },
        pending: Both {
            id: &[
                "Petugas sudah memeriksa: lampu dan balast perlu diganti. Kami menunggu suku cadang dari gudang.",
                "Kerusakan ada di kabel ke panel, perbaikannya perlu koordinasi dengan PLN. Kami kabari lagi begitu jadwalnya pasti.",
            ],
            en: &[
                "The technician has checked it: the lamp and its ballast need replacing. We are waiting for the parts from the depot.",
                "The fault is in the cable to the control panel, so the repair needs PLN, the power company. We will let you know as soon as there is a date.",
            ],
        },
        resolved: Both {
            id: &[
                "Lampu sudah diganti dan tadi malam sudah menyala normal. Terima kasih atas laporannya.",
                "Tim PJU sudah memperbaiki jaringan dan semua lampu di ruas itu menyala kembali.",
            ],
            en: &[
                "The lamps have been replaced and were working normally last night. Thank you for the report.",
                "The lighting team has repaired the wiring and every light on that stretch is working again.",
            ],
        },
        notes: &[
            "UPT PJU konfirmasi tim lapangan berangkat besok pagi.",
            "Kabel ke panel di perempatan putus, perlu koordinasi dengan PLN.",
            "Pemasangan titik lampu baru harus lewat usulan Musrenbang kelurahan, sudah saya sampaikan ke lurah.",
        ],
    },
    Category {
        name: "Sampah / Waste",
        weight: 16,
        reports_id: &[
            report(
                "Sampah tidak diangkut di {area} sejak {days} lalu",
                "Truk sampah tidak datang ke {area} sejak {days} lalu. Tempat sampah di depan rumah warga sudah penuh, mulai bau dan banyak lalat.",
                High,
            ),
            report(
                "Pembuangan sampah liar di pinggir {street}",
                "Ada yang membuang sampah sembarangan di lahan kosong pinggir {street} dekat {landmark}. Sekarang sudah menumpuk seperti TPS dan malam hari dibakar, asapnya masuk ke rumah.",
                Normal,
            ),
            report(
                "Kontainer sampah di dekat {landmark} meluap",
                "Kontainer sampah di dekat {landmark} sudah meluap sampai ke jalan. Kalau hujan airnya hitam dan mengalir ke selokan.",
                Normal,
            ),
            report(
                "Jadwal angkut sampah di {area} berubah tanpa pemberitahuan",
                "Biasanya sampah diangkut hari Senin dan Kamis, tapi sudah dua minggu ini tidak tentu. Mohon informasi jadwal yang baru supaya warga tidak menaruh sampah terlalu lama di luar.",
                Low,
            ),
            report(
                "Pembakaran sampah setiap malam di RT {rt} {area}",
                "Setiap malam ada warga yang membakar sampah plastik di RT {rt}. Asapnya pekat dan anak saya yang masih kecil jadi batuk-batuk. Sudah ditegur tapi tidak didengar.",
                Normal,
            ),
        ],
        reports_en: &[
            report(
                "Rubbish not collected in {area} for {days}",
                "The rubbish truck has not come to {area} for {days}. The bins in front of the houses are full, it has started to smell and there are flies everywhere.",
                High,
            ),
            report(
                "Illegal dumping beside {street}",
                "People are dumping rubbish on the empty lot beside {street} near {landmark}. It has grown into a tip, and at night someone burns it and the smoke comes into our houses.",
                Normal,
            ),
            report(
                "Overflowing rubbish container near {landmark}",
                "The rubbish container near {landmark} is overflowing into the street. When it rains, black water runs into the gutter.",
                Normal,
            ),
            report(
                "Collection days in {area} changed without notice",
                "Rubbish used to be collected on Mondays and Thursdays, but for two weeks now it has been irregular. Could you tell us the new schedule so people do not leave their bags out for days?",
                Low,
            ),
            report(
                "Someone burns rubbish every night in RT {rt}, {area}",
                "Every night someone in RT {rt} burns plastic rubbish. The smoke is thick and my small child has started coughing. They were asked to stop but took no notice.",
                Normal,
            ),
        ],
        ack: Both {
            id: &[
                "Laporan sudah kami sampaikan ke Dinas Lingkungan Hidup bagian pengangkutan. Mohon maaf atas ketidaknyamanannya.",
                "Terima kasih, laporan Anda sudah kami teruskan ke DLH. Petugas akan mengecek lokasi.",
            ],
            en: &[
                "We have passed your report to the environment agency's collection team. We apologise for the inconvenience.",
                "Thank you, we have forwarded your report to the environment agency (DLH). Someone will check the site.",
            ],
        },
        pending: Both {
            id: &[
                "Truk untuk rute ini sedang diperbaiki, jadi pengangkutan sementara digabung dengan rute lain. Jadwal akan normal kembali minggu ini.",
                "Satpol PP dan DLH akan memasang papan larangan dan membersihkan lokasi bersama. Jadwalnya sedang kami atur.",
            ],
            en: &[
                "The truck on this route is being repaired, so collection is combined with another route for now. The schedule should be back to normal this week.",
                "The municipal police and the environment agency will put up a no-dumping sign and clear the site together. We are arranging a date.",
            ],
        },
        resolved: Both {
            id: &[
                "Sampah sudah diangkut hari ini dan lokasi sudah dibersihkan. Jadwal angkut kembali normal: Senin dan Kamis.",
                "Lokasi sudah dibersihkan dan dipasang papan larangan membuang sampah. Terima kasih atas laporannya.",
            ],
            en: &[
                "The rubbish was collected today and the site has been cleaned. Collection is back to the usual days: Mondays and Thursdays.",
                "The site has been cleared and a no-dumping sign put up. Thank you for the report.",
            ],
        },
        notes: &[
            "Sudah telepon koordinator armada DLH, truk rute 4 masih di bengkel.",
            "Lokasi pembuangan liar perlu papan larangan, usulkan ke Satpol PP.",
            "Warga yang membakar sampah sudah didatangi ketua RT, kita pantau dulu.",
        ],
    },
    Category {
        name: "Air Bersih / Water Supply",
        weight: 14,
        reports_id: &[
            report(
                "Air PDAM tidak mengalir di {area} sejak {days} lalu",
                "Sudah {days} air PDAM di rumah kami dan tetangga di RT {rt} tidak mengalir sama sekali. Tidak ada pengumuman gangguan. Kami terpaksa beli air galon untuk mandi.",
                Urgent,
            ),
            report(
                "Pipa bocor di {street}, air muncrat ke jalan",
                "Ada pipa bocor di bawah trotoar {street} dekat {landmark}. Airnya terus keluar dan menggenangi jalan, sayang sekali terbuang.",
                High,
            ),
            report(
                "Air keruh dan berbau di {area}",
                "Sejak kemarin air dari keran berwarna kecokelatan dan berbau seperti lumpur. Apakah aman dipakai untuk memasak?",
                High,
            ),
            report(
                "Tekanan air sangat kecil di {street}",
                "Air hanya mengalir kecil sekali dan tidak sampai ke toren di lantai atas. Dulu normal, baru sebulan ini begini.",
                Normal,
            ),
            report(
                "Meteran air rusak tapi tagihan melonjak",
                "Jarum meteran air di rumah saya di {street} tidak bergerak, tapi tagihan bulan ini dua kali lipat dari biasanya. Mohon dicek dan dikoreksi.",
                Low,
            ),
        ],
        reports_en: &[
            report(
                "No piped water in {area} for {days}",
                "Our house and the neighbours in RT {rt} have had no water from PDAM at all for {days}, and there was no notice of an outage. We are buying gallon water to wash.",
                Urgent,
            ),
            report(
                "Burst pipe on {street}, water pouring into the road",
                "A pipe under the pavement on {street} near {landmark} is leaking. Water keeps flowing out and flooding the road; it is a terrible waste.",
                High,
            ),
            report(
                "Brown, smelly tap water in {area}",
                "Since yesterday the water from our tap has been brownish and smells of mud. Is it safe to cook with?",
                High,
            ),
            report(
                "Very low water pressure on {street}",
                "The water only trickles and does not reach the tank upstairs. It used to be fine; this started about a month ago.",
                Normal,
            ),
            report(
                "Broken water meter, yet the bill doubled",
                "The water meter at my house on {street} does not move at all, yet this month's bill is twice the usual amount. Please check it and correct the bill.",
                Low,
            ),
        ],
        ack: Both {
            id: &[
                "Terima kasih. Laporan sudah kami teruskan ke PDAM dan tercatat sebagai gangguan di wilayah Anda.",
                "Laporan sudah kami terima. Untuk mempercepat pengecekan, PDAM mungkin akan menghubungi Anda menanyakan nomor pelanggan.",
            ],
            en: &[
                "Thank you. We have forwarded this to PDAM, the water company, and it is logged as a fault in your area.",
                "We have received your report. To speed things up, PDAM may contact you to ask for your customer number.",
            ],
        },
        pending: Both {
            id: &[
                "PDAM sedang memperbaiki pipa distribusi utama. Selama perbaikan, mobil tangki air bersih dikirim ke lokasi setiap sore.",
                "Petugas PDAM sudah mengecek meteran dan akan menggantinya. Tagihan akan dikoreksi pada bulan berikutnya.",
            ],
            en: &[
                "PDAM is repairing the main distribution pipe. Until it is done, a water tanker will come to your area every afternoon.",
                "A PDAM technician has checked the meter and will replace it. The bill will be corrected next month.",
            ],
        },
        resolved: Both {
            id: &[
                "PDAM menyampaikan perbaikan sudah selesai dan aliran air sudah normal. Jika masih ada masalah, silakan balas pesan ini.",
                "Pipa yang bocor sudah diganti dan jalan sudah dirapikan kembali. Terima kasih atas laporannya.",
            ],
            en: &[
                "PDAM reports that the repair is finished and the water supply is back to normal. If you still have a problem, please reply to this message.",
                "The leaking pipe has been replaced and the road made good again. Thank you for the report.",
            ],
        },
        notes: &[
            "Sudah dapat nomor tiket gangguan dari PDAM, teknisi dijadwalkan hari ini.",
            "PDAM minta nomor pelanggan, sudah saya tanyakan ke pelapor.",
            "Gangguan ini satu wilayah dengan perbaikan pipa induk di Jl. Ahmad Yani.",
        ],
    },
    Category {
        name: "Drainase & Banjir / Drainage & Flooding",
        weight: 12,
        reports_id: &[
            report(
                "Selokan tersumbat di {street}, air meluap saat hujan",
                "Selokan di sepanjang {street} tersumbat sampah dan lumpur. Setiap hujan deras air meluap ke jalan dan masuk ke teras rumah warga.",
                High,
            ),
            report(
                "Banjir setinggi lutut di {area} setiap hujan",
                "Setiap hujan lebih dari satu jam, jalan di {area} dekat {landmark} tergenang setinggi lutut. Sudah begini sejak awal musim hujan.",
                Urgent,
            ),
            report(
                "Tutup saluran air hilang di depan {landmark}",
                "Tutup beton saluran air di depan {landmark} hilang, tinggal lubang terbuka sedalam satu meter. Sangat berbahaya, apalagi malam hari.",
                Urgent,
            ),
            report(
                "Gorong-gorong di {street} ambles",
                "Gorong-gorong di bawah {street} sepertinya ambles. Permukaan jalan di atasnya turun dan retak.",
                High,
            ),
            report(
                "Mohon normalisasi kali kecil di {area}",
                "Kali kecil di belakang RT {rt} penuh endapan lumpur dan eceng gondok, alirannya hampir berhenti. Warga khawatir banjir seperti tahun lalu.",
                Normal,
            ),
        ],
        reports_en: &[
            report(
                "Blocked drain on {street} overflows when it rains",
                "The drain along {street} is blocked with rubbish and mud. Every heavy rain it overflows into the road and into the front yards of the houses.",
                High,
            ),
            report(
                "Knee-deep flooding in {area} every time it rains",
                "Whenever it rains for more than an hour, the road in {area} near {landmark} floods knee-deep. It has been like this since the start of the rainy season.",
                Urgent,
            ),
            report(
                "Drain cover missing in front of {landmark}",
                "The concrete cover of the drain in front of {landmark} is gone, leaving an open hole about a metre deep. It is very dangerous, especially at night.",
                Urgent,
            ),
            report(
                "Culvert under {street} is sinking",
                "The culvert under {street} seems to be collapsing: the road surface above it has dropped and cracked.",
                High,
            ),
            report(
                "Please dredge the stream in {area}",
                "The small stream behind RT {rt} is full of silt and water hyacinth and has almost stopped flowing. People are worried about flooding like last year.",
                Normal,
            ),
        ],
        ack: Both {
            id: &[
                "Laporan sudah kami teruskan ke Bidang Sumber Daya Air. Tim akan mengecek saluran di lokasi.",
                "Terima kasih. Untuk sementara petugas akan memasang pembatas di sekitar lubang agar aman.",
            ],
            en: &[
                "We have forwarded this to the water resources department. A team will inspect the drains on site.",
                "Thank you. In the meantime a team will put a barrier around the hole to make it safe.",
            ],
        },
        pending: Both {
            id: &[
                "Pengerukan saluran dijadwalkan hari Sabtu bersama kerja bakti warga. Alat berat sedang dipakai di lokasi lain sampai hari itu.",
                "Tutup saluran baru sedang dipesan. Pembatas sementara tetap terpasang sampai penggantian selesai.",
            ],
            en: &[
                "Clearing the drain is scheduled for Saturday, together with a neighbourhood clean-up; the excavator is busy elsewhere until then.",
                "A new drain cover has been ordered. The temporary barrier stays in place until it is fitted.",
            ],
        },
        resolved: Both {
            id: &[
                "Saluran sudah dikeruk dan dibersihkan, aliran air sudah lancar. Terima kasih atas kerja sama warga.",
                "Tutup saluran yang baru sudah terpasang. Terima kasih sudah melapor.",
            ],
            en: &[
                "The drain has been dredged and cleared, and the water flows freely again. Thank you to the residents for their help.",
                "The new drain cover is in place. Thank you for reporting it.",
            ],
        },
        notes: &[
            "Perlu alat berat, sudah diajukan ke UPT Alat Berat.",
            "Tutup saluran sementara dipasang pembatas, penggantian menunggu pengadaan.",
            "Titik ini langganan banjir, masukkan ke usulan perbaikan drainase tahun depan.",
        ],
    },
    Category {
        name: "Perizinan / Permits",
        weight: 8,
        reports_id: &[
            report(
                "Permohonan PBG rumah tinggal belum diproses",
                "Saya mengajukan Persetujuan Bangunan Gedung (PBG) untuk rumah tinggal di {street} lewat aplikasi sebulan lalu. Statusnya masih \"verifikasi dokumen\" dan tidak ada yang bisa dihubungi.",
                Normal,
            ),
            report(
                "Izin keramaian untuk lomba 17 Agustus di {area}",
                "Kami panitia lomba 17 Agustus RT {rt} {area} ingin menutup sebagian jalan selama satu hari. Syarat apa saja yang perlu disiapkan dan ke mana mengajukannya?",
                Low,
            ),
            report(
                "Bangunan di {street} dibangun tanpa izin?",
                "Ada bangunan tiga lantai sedang dibangun di {street}. Bangunan itu menutup sebagian saluran air dan tidak memasang papan izin. Mohon dicek apakah sudah punya PBG.",
                Normal,
            ),
            report(
                "Cara mengurus izin usaha warung makan",
                "Saya ingin membuka warung makan kecil di {area}. Apakah cukup dengan NIB dari OSS, atau perlu izin lain dari kelurahan?",
                Low,
            ),
            report(
                "Surat keterangan domisili usaha ditolak tanpa alasan",
                "Pengajuan surat keterangan domisili usaha saya di kantor kelurahan {area} ditolak, tapi petugasnya tidak menjelaskan apa yang kurang.",
                Normal,
            ),
        ],
        reports_en: &[
            report(
                "Building approval (PBG) application not processed",
                "I applied for a building approval (PBG) for a house on {street} through the app a month ago. It still says \"document verification\" and nobody answers the phone.",
                Normal,
            ),
            report(
                "Permit to close a street for the 17 August games in {area}",
                "We are organising the Independence Day games for RT {rt} in {area} and would like to close part of the street for one day. What do we need to prepare, and where do we apply?",
                Low,
            ),
            report(
                "Building on {street} going up without a permit?",
                "A three-storey building is going up on {street}. It covers part of the drain and there is no permit sign. Could you check whether it has a building approval?",
                Normal,
            ),
            report(
                "How to get a licence for a small food stall",
                "I would like to open a small food stall in {area}. Is the business number (NIB) from OSS enough, or do I need another permit from the kelurahan?",
                Low,
            ),
            report(
                "Business domicile letter refused without a reason",
                "My application for a business domicile letter at the {area} kelurahan office was refused, but the clerk did not explain what was missing.",
                Normal,
            ),
        ],
        ack: Both {
            id: &[
                "Terima kasih, pertanyaan Anda sudah kami teruskan ke Dinas Penanaman Modal dan PTSP.",
                "Laporan sudah kami terima. Petugas perizinan akan mengecek berkas Anda di sistem.",
            ],
            en: &[
                "Thank you, we have passed your question to the one-stop permit office (DPMPTSP).",
                "We have received your report. A permit officer will look up your file in the system.",
            ],
        },
        pending: Both {
            id: &[
                "Berkas Anda sedang diverifikasi ulang. Mohon unggah fotokopi sertifikat tanah dan gambar denah melalui aplikasi.",
                "Tim pengawasan bangunan dijadwalkan meninjau lokasi minggu ini.",
            ],
            en: &[
                "Your file is being checked again. Please upload a copy of the land certificate and the floor plan through the app.",
                "The building inspectors are scheduled to visit the site this week.",
            ],
        },
        resolved: Both {
            id: &[
                "Permohonan Anda sudah diproses dan dokumennya dapat diunduh di aplikasi. Terima kasih atas kesabarannya.",
                "Petugas PTSP sudah menghubungi Anda dan menjelaskan persyaratannya, jadi laporan ini kami tandai selesai.",
            ],
            en: &[
                "Your application has been processed and the document can be downloaded from the app. Thank you for your patience.",
                "A permit officer has called you and explained what is needed, so we are marking this as resolved.",
            ],
        },
        notes: &[
            "Sudah cek di SIMBG, berkas tertahan di verifikasi teknis.",
            "Bangunan tanpa papan izin: minta Satpol PP ikut saat peninjauan.",
            "Penolakan karena lampiran KTP tidak terbaca, petugas kelurahan sudah diminta menjelaskan ke pemohon.",
        ],
    },
    Category {
        name: "Taman & Pohon / Parks & Trees",
        weight: 9,
        reports_id: &[
            report(
                "Pohon tumbang menutup jalan di {street}",
                "Pohon angsana besar tumbang setelah hujan angin dan menutup separuh {street}. Kabel listrik ikut tertimpa.",
                Urgent,
            ),
            report(
                "Dahan pohon rapuh di atas {landmark}",
                "Ada dahan besar yang sudah kering dan retak di atas {landmark}. Kalau angin kencang bisa jatuh menimpa orang yang lewat. Mohon dipangkas.",
                High,
            ),
            report(
                "Taman di {area} kotor dan lampunya mati",
                "Taman di {area} sekarang kotor, rumputnya tidak dipotong dan lampu tamannya mati semua. Malam hari jadi tempat nongkrong yang membuat warga tidak nyaman.",
                Low,
            ),
            report(
                "Permainan anak di taman {area} rusak",
                "Rantai ayunan di taman {area} putus dan perosotannya berlubang. Berbahaya untuk anak-anak.",
                Normal,
            ),
            report(
                "Akar pohon merusak trotoar dan pagar di {street}",
                "Akar pohon peneduh di {street} sudah mengangkat trotoar dan mulai merusak pagar rumah warga.",
                Low,
            ),
        ],
        reports_en: &[
            report(
                "Fallen tree blocking {street}",
                "A big angsana tree came down in the storm and is blocking half of {street}. It brought a power cable down with it.",
                Urgent,
            ),
            report(
                "Rotten branch hanging over {landmark}",
                "There is a large, dry, cracked branch above {landmark}. In a strong wind it could fall on someone walking past. Please have it pruned.",
                High,
            ),
            report(
                "The park in {area} is dirty and its lights are out",
                "The park in {area} is dirty, the grass has not been cut and none of the lights work. At night it draws groups of people who make the residents uneasy.",
                Low,
            ),
            report(
                "Broken playground equipment in the {area} park",
                "The chain of the swing in the {area} park has snapped and the slide has a hole in it. It is dangerous for children.",
                Normal,
            ),
            report(
                "Tree roots breaking the pavement and fences on {street}",
                "The roots of the shade trees on {street} have lifted the pavement and are starting to damage the fences of the houses.",
                Low,
            ),
        ],
        ack: Both {
            id: &[
                "Laporan sudah kami teruskan ke Dinas Perumahan, Kawasan Permukiman dan Pertamanan.",
                "Terima kasih. Tim pertamanan akan meninjau lokasi.",
            ],
            en: &[
                "We have passed this to the parks department.",
                "Thank you. The parks team will come and look.",
            ],
        },
        pending: Both {
            id: &[
                "Tim pemangkasan dijadwalkan minggu ini. Demi keamanan, pekerjaan menunggu PLN memadamkan jaringan sementara.",
                "Perbaikan permainan anak menunggu suku cadang. Untuk sementara area ayunan kami beri garis pembatas.",
            ],
            en: &[
                "The tree crew is scheduled for this week. For safety the work has to wait until PLN switches off the power line.",
                "The playground repair is waiting for parts. Until then the swings are taped off.",
            ],
        },
        resolved: Both {
            id: &[
                "Pohon sudah dipotong dan jalan sudah bersih kembali. Terima kasih atas laporannya.",
                "Pekerjaan sudah selesai dilakukan oleh tim pertamanan. Terima kasih sudah melapor.",
            ],
            en: &[
                "The tree has been cut up and the road is clear again. Thank you for the report.",
                "The parks team has finished the work. Thank you for letting us know.",
            ],
        },
        notes: &[
            "Koordinasi dengan PLN untuk pemadaman sementara saat pemangkasan.",
            "Pohon di ruas ini sudah tua, usulkan peremajaan ke bidang pertamanan.",
        ],
    },
    Category {
        name: "Ketertiban Umum / Public Order",
        weight: 7,
        reports_id: &[
            report(
                "Parkir liar menutup jalan di depan {landmark}",
                "Setiap sore ada parkir liar di depan {landmark} sampai dua lapis. Jalan jadi macet dan juru parkirnya memungut tarif seenaknya.",
                Normal,
            ),
            report(
                "Bengkel las di {street} bising sampai tengah malam",
                "Bengkel las di {street} bekerja sampai jam 12 malam dan suaranya keras sekali. Warga sekitar tidak bisa istirahat.",
                Normal,
            ),
            report(
                "PKL berjualan di atas trotoar {street}",
                "Pedagang kaki lima memenuhi trotoar {street} dekat {landmark}, pejalan kaki harus lewat di badan jalan.",
                Low,
            ),
            report(
                "Spanduk liar dipaku di pohon sepanjang {street}",
                "Banyak spanduk dan poster iklan dipaku di pohon dan tiang listrik sepanjang {street}. Kelihatan kumuh.",
                Low,
            ),
        ],
        reports_en: &[
            report(
                "Illegal parking blocking the road in front of {landmark}",
                "Every afternoon cars park two deep in front of {landmark}. The road jams up, and the unofficial attendant charges whatever he likes.",
                Normal,
            ),
            report(
                "Welding workshop on {street} noisy until midnight",
                "The welding workshop on {street} works until midnight and it is extremely loud. The neighbours cannot rest.",
                Normal,
            ),
            report(
                "Street vendors taking over the pavement on {street}",
                "Street vendors have filled the pavement on {street} near {landmark}, so people on foot have to walk in the road.",
                Low,
            ),
            report(
                "Illegal banners nailed to trees along {street}",
                "Lots of banners and advertising posters are nailed to the trees and power poles along {street}. It looks shabby.",
                Low,
            ),
        ],
        ack: Both {
            id: &[
                "Terima kasih, laporan sudah kami teruskan ke Satpol PP untuk ditindaklanjuti.",
                "Laporan sudah kami terima dan teruskan ke Satpol PP kecamatan.",
            ],
            en: &[
                "Thank you, we have passed this to the municipal police (Satpol PP) to follow up.",
                "We have received your report and forwarded it to the district's municipal police.",
            ],
        },
        pending: Both {
            id: &[
                "Satpol PP sudah memberikan teguran pertama. Kami pantau lagi minggu depan.",
                "Pemilik usaha sudah dipanggil ke kantor kecamatan untuk pembinaan. Kami tunggu hasilnya.",
            ],
            en: &[
                "The municipal police have given a first warning. We will check again next week.",
                "The business owner has been summoned to the district office. We are waiting to hear the outcome.",
            ],
        },
        resolved: Both {
            id: &[
                "Satpol PP sudah menertibkan lokasi dan akan berpatroli rutin di sana.",
                "Spanduk liar sudah dicopot oleh petugas. Terima kasih atas laporannya.",
            ],
            en: &[
                "The municipal police have cleared the site and will patrol it regularly.",
                "The illegal banners have been taken down. Thank you for the report.",
            ],
        },
        notes: &[
            "Sudah dikirim ke grup koordinasi Satpol PP kecamatan.",
            "Lokasi ini sering dilaporkan, minta jadwal patroli rutin.",
        ],
    },
];

/// Streets the reports happen on.
pub const STREETS: &[&str] = &[
    "Jl. Merdeka",
    "Jl. Jenderal Sudirman",
    "Jl. Diponegoro",
    "Jl. Gajah Mada",
    "Jl. Ahmad Yani",
    "Jl. Pemuda",
    "Jl. Pahlawan",
    "Jl. Kartini",
    "Jl. Veteran",
    "Jl. Imam Bonjol",
    "Jl. Hayam Wuruk",
    "Jl. Cendrawasih",
    "Jl. Melati Raya",
    "Jl. Teuku Umar",
    "Jl. Dr. Sutomo",
    "Jl. Pattimura",
    "Jl. Kapten Tendean",
    "Jl. Flamboyan",
];

/// Kelurahan and housing estates.
pub const AREAS: &[&str] = &[
    "Sukamaju",
    "Kebon Jeruk",
    "Tanjung Sari",
    "Sidomulyo",
    "Karang Anyar",
    "Margahayu",
    "Cempaka Putih",
    "Sumber Rejo",
    "Griya Asri",
    "Bumi Indah",
    "Pasir Kaliki",
];

/// Landmarks, as (Indonesian, English).
pub const LANDMARKS: &[(&str, &str)] = &[
    ("Masjid Al-Ikhlas", "the Al-Ikhlas mosque"),
    ("SDN 3", "SDN 3 primary school"),
    ("Pasar Baru", "Pasar Baru market"),
    ("puskesmas", "the health centre"),
    ("kantor kelurahan", "the kelurahan office"),
    ("Gereja Santo Yosef", "St Joseph's church"),
    ("SMP Negeri 5", "SMP 5 junior high school"),
    ("halte bus", "the bus stop"),
    ("pos ronda", "the neighbourhood watch post"),
    ("RSUD", "the regional hospital"),
];

/// "Two days" to "a week", in words; index 0 is two days.
const DAYS: Both = Both {
    id: &[
        "dua hari",
        "tiga hari",
        "empat hari",
        "lima hari",
        "enam hari",
        "seminggu",
    ],
    en: &["two days", "three days", "four days", "five days", "six days", "a week"],
};

/// Most days `{days}` can say.
pub const MAX_DAYS: u8 = 7;

/// Where a report happens: the values its placeholders are filled with.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub street: usize,
    pub area: usize,
    pub landmark: usize,
    /// 2 to [`MAX_DAYS`].
    pub days: u8,
    /// The neighbourhood unit (RT), 1 to 99.
    pub rt: u8,
}

/// `days` (clamped to 2..=7) in words.
pub fn days_in_words(lang: Lang, days: u8) -> &'static str {
    let index = usize::from(days.clamp(2, MAX_DAYS) - 2);
    DAYS.get(lang)[index]
}

/// `text` with its place placeholders filled in `lang`.
pub fn fill(text: &str, lang: Lang, place: &Place) -> String {
    let landmark = LANDMARKS[place.landmark % LANDMARKS.len()];
    let landmark = match lang {
        Lang::Id => landmark.0,
        Lang::En => landmark.1,
    };
    text.replace("{street}", STREETS[place.street % STREETS.len()])
        .replace("{area}", AREAS[place.area % AREAS.len()])
        .replace("{landmark}", landmark)
        .replace("{days}", days_in_words(lang, place.days))
        .replace("{rt}", &format!("{:02}", place.rt))
}

/// The demo's agents: (name, role is admin). Their emails are derived from the names.
pub const AGENTS: &[(&str, bool)] = &[
    ("Siti Rahmawati", true),
    ("Budi Santoso", false),
    ("Dewi Lestari", false),
    ("Agus Pratama", false),
    ("Rina Wulandari", false),
    ("Made Wirawan", false),
];

/// The demo agent who does what only admins may (the head of the desk).
pub const ADMIN: usize = 0;

/// Reporters' first names.
pub const FIRST_NAMES: &[&str] = &[
    "Ahmad", "Sri", "Joko", "Wahyu", "Nur", "Putri", "Rudi", "Yanti", "Eko", "Fitri", "Hadi", "Lina", "Dian",
    "Bambang", "Ratna", "Teguh", "Indah", "Slamet", "Ayu", "Yusuf", "Ketut", "Nyoman", "Rizky", "Mega", "Fajar",
    "Intan", "Arif", "Sari", "Bayu", "Wulan",
];

/// Reporters' family names.
pub const LAST_NAMES: &[&str] = &[
    "Hidayat",
    "Susanti",
    "Widodo",
    "Saputra",
    "Purnamasari",
    "Kurniawan",
    "Setiawati",
    "Nugroho",
    "Hasibuan",
    "Siregar",
    "Simanjuntak",
    "Permana",
    "Maulana",
    "Handayani",
    "Rahayu",
    "Firmansyah",
    "Anggraini",
    "Suryadi",
    "Wijaya",
    "Lubis",
];

/// People known by one name only, as many Indonesians are.
pub const SINGLE_NAMES: &[&str] = &["Suparman", "Sumiati", "Paijo", "Tukiyem", "Sutrisno"];

/// A reporter asking what is happening.
pub const REPORTER_NUDGE: Both = Both {
    id: &[
        "Sampai hari ini belum ada petugas yang datang.",
        "Mohon info perkembangannya, kondisinya masih sama.",
        "Kemarin malam makin parah, tolong segera ditangani.",
        "Apakah sudah ada jadwal perbaikannya?",
    ],
    en: &[
        "Nobody has come to look at it yet.",
        "Is there any news? It is still the same.",
        "It got worse last night, please deal with it soon.",
        "Is there a date for the repair yet?",
    ],
};

/// An agent answering a nudge.
pub const AGENT_NUDGE_REPLY: Both = Both {
    id: &[
        "Mohon maaf atas keterlambatannya. Sudah kami tanyakan lagi ke petugas lapangan, mohon ditunggu.",
        "Laporan Anda tetap dalam antrean prioritas. Kami kabari begitu ada jadwal.",
    ],
    en: &[
        "Sorry for the delay. We have chased the field team again; please bear with us.",
        "Your report is still high on the list. We will let you know as soon as there is a date.",
    ],
};

/// An agent asking the reporter for details.
pub const INFO_REQUEST: Both = Both {
    id: &[
        "Agar petugas mudah menemukan lokasinya, mohon kirimkan titik lokasi (share location) atau foto di sekitar tempat tersebut.",
        "Boleh kami minta patokan yang lebih jelas, misalnya nomor rumah atau nama toko terdekat?",
    ],
    en: &[
        "To help the team find the spot, could you send the location (share location in Telegram) or a photo of the surroundings?",
        "Could you give us a clearer landmark, such as a house number or the name of the nearest shop?",
    ],
};

/// The reporter's answer to [`INFO_REQUEST`].
pub const INFO_REPLY: Both = Both {
    id: &[
        "Lokasinya persis di seberang warung Bu Tini, di samping tiang listrik yang dicat merah.",
        "Dekat rumah nomor 17, yang pagarnya hijau.",
    ],
    en: &[
        "It is right across from Bu Tini's food stall, next to a power pole painted red.",
        "Near house number 17, the one with the green gate.",
    ],
};

/// A reporter who is satisfied.
pub const THANKS: Both = Both {
    id: &[
        "Terima kasih, sudah beres.",
        "Alhamdulillah sudah diperbaiki. Terima kasih atas tanggapannya yang cepat.",
        "Sudah saya cek, sudah normal. Terima kasih banyak.",
    ],
    en: &[
        "Thank you, it's sorted.",
        "Fixed now, thanks for the quick response.",
        "I checked and it's back to normal. Many thanks.",
    ],
};

/// A reporter saying the fix did not hold.
pub const NOT_FIXED: Both = Both {
    id: &[
        "Maaf, ternyata belum selesai. Hari ini kondisinya kembali seperti semula.",
        "Baru dua hari sudah rusak lagi.",
    ],
    en: &[
        "Sorry, it is not actually fixed. Today it is back to how it was.",
        "It broke again after only two days.",
    ],
};

/// An agent reopening a report.
pub const REOPENED: Both = Both {
    id: &["Mohon maaf, laporan ini kami buka kembali dan petugas kami minta memeriksa ulang."],
    en: &["Sorry about that. We have reopened the report and asked the team to check again."],
};

/// An admin closing a duplicate; `{key}` is the ticket it duplicates.
pub const DUPLICATE: Both = Both {
    id: &[
        "Laporan ini sama dengan {key} yang sedang kami tangani. Perkembangannya kami lanjutkan di sana, jadi laporan ini kami tutup.",
    ],
    en: &[
        "This is the same problem as {key}, which we are already handling. We will follow it up there, so we are closing this one.",
    ],
};

/// Internal notes on priority being raised.
pub const PRIORITY_RAISED: &[&str] = &[
    "Prioritas dinaikkan: lokasinya dekat sekolah dan banyak anak-anak lewat.",
    "Prioritas dinaikkan, sudah ada warga yang jatuh di lokasi.",
    "Prioritas dinaikkan atas permintaan pak camat.",
];

/// Internal notes on a ticket handed to another agent; `{name}` is the new assignee.
pub const REASSIGNED: &[&str] = &[
    "Dialihkan ke {name} yang memegang wilayah ini.",
    "Saya alihkan ke {name}, beliau yang kenal petugas lapangannya.",
];

/// Reasons an admin gives for breaking a lock; `{name}` is the agent who held it.
pub const LOCK_BROKEN: &[&str] = &[
    "{name} sedang cuti, tiket dilanjutkan oleh tim.",
    "{name} tidak masuk hari ini; tiket diambil alih supaya tidak tertahan.",
];

/// Internal notes when a ticket is closed.
pub const CLOSING_NOTES: &[&str] = &[
    "Tidak ada tanggapan lanjutan dari pelapor, tiket ditutup.",
    "Sudah dicek ulang di lapangan, aman. Ditutup.",
];

/// The first line of a report an agent took by phone.
pub const BY_PHONE: Both = Both {
    id: &["Dilaporkan lewat telepon ke call center."],
    en: &["Reported by phone to the call centre."],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate;

    fn places() -> impl Iterator<Item = Place> {
        (0..STREETS.len().max(AREAS.len()).max(LANDMARKS.len())).map(|i| Place {
            street: i,
            area: i,
            landmark: i,
            days: 2 + (i % 6) as u8,
            rt: 1 + i as u8,
        })
    }

    #[test]
    fn every_report_fills_into_a_valid_ticket_in_its_language() {
        for category in CATEGORIES {
            for lang in [Lang::Id, Lang::En] {
                assert!(category.reports(lang).len() >= 4, "{} {lang:?}", category.name);
                for report in category.reports(lang) {
                    for place in places() {
                        let title = fill(report.title, lang, &place);
                        let body = fill(report.body, lang, &place);
                        assert!(!title.contains('{') && !body.contains('{'), "{title} / {body}");
                        assert_eq!(validate::title(&title).as_deref(), Ok(title.as_str()));
                        assert!(validate::text("body", &body, false).is_ok());
                    }
                }
            }
            for texts in [category.ack, category.pending, category.resolved] {
                assert!(
                    !texts.id.is_empty() && texts.id.len() == texts.en.len(),
                    "{}",
                    category.name
                );
            }
            assert!(!category.notes.is_empty());
        }
    }

    #[test]
    fn placeholders_are_filled_in_the_right_language() {
        let place = Place {
            street: 0,
            area: 1,
            landmark: 0,
            days: 3,
            rt: 4,
        };
        assert_eq!(
            fill("Lampu jalan mati di {street} sejak {days} lalu", Lang::Id, &place),
            "Lampu jalan mati di Jl. Merdeka sejak tiga hari lalu"
        );
        assert_eq!(
            fill("Near {landmark} in RT {rt}, {area}, for {days}", Lang::En, &place),
            "Near the Al-Ikhlas mosque in RT 04, Kebon Jeruk, for three days"
        );
        assert_eq!(days_in_words(Lang::Id, 7), "seminggu");
        assert_eq!(days_in_words(Lang::En, 7), "a week");
        assert_eq!(days_in_words(Lang::En, 0), "two days", "clamped");
        assert_eq!(days_in_words(Lang::Id, 99), "seminggu", "clamped");
    }

    #[test]
    fn shared_texts_exist_in_both_languages() {
        for both in [
            REPORTER_NUDGE,
            AGENT_NUDGE_REPLY,
            INFO_REQUEST,
            INFO_REPLY,
            THANKS,
            NOT_FIXED,
            REOPENED,
            DUPLICATE,
            BY_PHONE,
        ] {
            assert!(!both.id.is_empty());
            assert_eq!(both.id.len(), both.en.len());
        }
        assert!(AGENTS[ADMIN].1, "the head of the desk is an admin");
        let names: std::collections::BTreeSet<_> = CATEGORIES.iter().map(|c| c.name.to_lowercase()).collect();
        assert_eq!(
            names.len(),
            CATEGORIES.len(),
            "category names are unique regardless of case"
        );
    }
}
