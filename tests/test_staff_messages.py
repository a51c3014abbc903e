"""Messages the staff write first: to one family or to a target (school, class,
activity, a day's bookings, all), sent by a job with its progress; emails (once) to the
families with an account, a letter batch (PDF) for the others, and a thread each family
sees in Nous contacter and can answer."""
from sqlalchemy import func, select

from extensions import db
from models import Activity, Booking, Broadcast, ContactThread, Family, OutboundEmail
from tests.billing_helpers import pdf_text
from tests.helpers import body, login, page, submit, text_of

SCHOOL = "École des Tilleuls"


def family(name):
    return db.session.scalar(select(Family).where(Family.name == name))


def send(client, **fields):
    data = {"target": "school", "school": "", "class_name": "", "activity": "", "day": "",
            "subject": "Grève du jeudi", "body": "Pas de cantine jeudi : prévoyez un repas."}
    data.update(fields)
    url = "/admin/messages/ecrire"
    if data["target"] == "family":
        url += f"?famille={data['family']}"
    return submit(client, url, data, post_url="/admin/messages/ecrire")


def threads_of(name, subject="Grève du jeudi"):
    return db.session.scalars(select(ContactThread).where(
        ContactThread.family_id == family(name).id, ContactThread.subject == subject)).all()


def test_a_strike_notice_to_a_school_emails_accounts_and_prints_letters_for_the_others(
        agent_client, other_client, demo, run_jobs, mailbox):
    response = send(agent_client, school=SCHOOL)
    assert response.status_code == 302
    progress_url = response.headers["Location"]
    html = page(agent_client, progress_url)
    assert "L'envoi va commencer." in html and 'hx-trigger="every 1s"' in html
    # What the page polls: the progress block alone.
    fragment = body(agent_client.get(progress_url, headers={
        "HX-Request": "true", "HX-Request-Type": "partial"}))
    assert fragment.lstrip().startswith('<section class="card run" id="broadcast-progress"')

    run_jobs()
    html = page(agent_client, progress_url)
    assert "Terminé." in html and "hx-trigger" not in html
    assert "Les familles de l'école École des Tilleuls" in html
    assert "Imprimer le courrier (1 famille sans compte)" in html

    message = mailbox.wait_for(demo.PARENT[0], "Grève du jeudi")
    text = text_of(message)
    assert "Le service enfance vous adresse ce message :" in text
    assert "Pas de cantine jeudi : prévoyez un repas." in text
    [martin] = threads_of("MARTIN")
    [bernard] = threads_of("BERNARD")
    assert f"http://localhost/nous-contacter/{martin.id}" in text

    # The letter batch: the family without an account, its address in the window.
    broadcast_id = int(progress_url.rsplit("/", 1)[1])
    pdf = agent_client.get(f"/admin/messages/envois/{broadcast_id}/courriers.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    letters = pdf_text(pdf.data)
    assert "Mairie de Beaulieu-sur-Loire" in letters and "Sophie BERNARD" in letters
    assert "Pas de cantine jeudi" in letters and "Claire MARTIN" not in letters

    # The family reads it in Nous contacter and answers: the staff inbox waits for it.
    login(other_client, *demo.PARENT)
    html = page(other_client, "/nous-contacter")
    assert "Grève du jeudi" in html and "Message du service" in html
    assert "Pas de cantine jeudi" in page(other_client, f"/nous-contacter/{martin.id}")
    assert submit(other_client, f"/nous-contacter/{martin.id}",
                  {"body": "Bien noté, merci."}).status_code == 302
    assert "En attente de réponse (1)" in page(agent_client, "/admin/messages")
    assert bernard.awaiting_reply is False
    everything = page(agent_client, "/admin/messages?tous=1")
    assert everything.count("Grève du jeudi") == 2 and "Message du service" in everything


def test_running_the_job_again_sends_nothing_twice(agent_client, demo, run_jobs, mailbox):
    send(agent_client, school=SCHOOL)
    run_jobs()
    from jobs.broadcasts import send_broadcast

    broadcast = db.session.scalar(select(Broadcast))
    broadcast.status = "running"  # as if the worker died before its last write
    db.session.commit()
    send_broadcast(broadcast.id)
    run_jobs()
    assert len(threads_of("MARTIN")) == 1 and len(threads_of("BERNARD")) == 1
    assert db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.kind == "staff_message")) == 1
    assert len(mailbox.to(demo.PARENT[0])) == 1


def test_a_long_letter_flows_on_instead_of_being_cut(agent_client, demo, run_jobs):
    text = "\n".join(f"Paragraphe {n} : le service vous informe." for n in range(1, 90))
    response = send(agent_client, school=SCHOOL, body=text + "\nFIN DU MESSAGE")
    run_jobs()
    broadcast_id = int(response.headers["Location"].rsplit("/", 1)[1])
    pdf = agent_client.get(f"/admin/messages/envois/{broadcast_id}/courriers.pdf")
    assert "FIN DU MESSAGE" in pdf_text(pdf.data)


def test_the_families_with_a_booking_on_a_day(agent_client, demo, run_jobs):
    canteen = db.session.scalar(select(Activity).where(Activity.name == "Restauration scolaire"))
    day = db.session.scalar(select(func.min(Booking.day)).where(
        Booking.activity_id == canteen.id))
    response = send(agent_client, target="day", day=day.isoformat(), activity=str(canteen.id),
                    subject="Menu changé")
    assert response.status_code == 302
    run_jobs()
    assert threads_of("MARTIN", "Menu changé") and not threads_of("BERNARD", "Menu changé")
    html = page(agent_client, response.headers["Location"])
    assert "ayant une réservation le " in html and "à Restauration scolaire" in html


def test_an_activity_reaches_its_enrolled_families_and_one_family_from_its_file(
        agent_client, demo, run_jobs):
    wednesday = db.session.scalar(select(Activity).where(
        Activity.name == "Mercredi matin AVEC REPAS"))
    assert send(agent_client, target="activity", activity=str(wednesday.id),
                subject="Sortie au musée").status_code == 302
    html = page(agent_client, f"/admin/familles/{family('MARTIN').id}")
    assert f"/admin/messages/ecrire?famille={family('MARTIN').id}" in html
    assert send(agent_client, target="family", family=str(family("MARTIN").id),
                subject="Votre dossier").status_code == 302
    run_jobs()
    assert threads_of("BERNARD", "Sortie au musée") and not threads_of("MARTIN", "Sortie au musée")
    assert threads_of("MARTIN", "Votre dossier") and not threads_of("BERNARD", "Votre dossier")


def test_each_target_asks_for_its_choice(agent_client, demo):
    for fields, error in [({"school": ""}, "Choisissez une école."),
                          ({"target": "class"}, "Choisissez une classe."),
                          ({"target": "activity"}, "Choisissez une activité."),
                          ({"target": "day", "day": "31/02/2027"}, "Saisissez une date valide."),
                          ({"target": "day"}, "Saisissez le jour des réservations."),
                          ({"school": "École inconnue"}, "Ce choix n'est pas dans la liste."),
                          ({"target": "family", "family": "999999"},
                           "Écrivez à une famille depuis sa fiche."),
                          ({"subject": "", "school": SCHOOL}, "Ce champ est obligatoire.")]:
        data = dict(fields)
        data.pop("family", None) if fields.get("target") != "family" else None
        response = submit(agent_client, "/admin/messages/ecrire",
                          dict({"target": "school", "school": "", "class_name": "",
                                "activity": "", "day": "", "subject": "Objet",
                                "body": "Texte"}, **data))
        assert response.status_code == 422, fields
        assert error in body(response), fields
    assert db.session.scalar(select(func.count(Broadcast.id))) == 0


def test_parents_cannot_write_to_families(parent_client):
    assert parent_client.get("/admin/messages/ecrire").status_code in (302, 403)
