"""Job title -> level and function: a labelled table, accuracy per language, the column API.

The table was labelled by hand before the classifier was run on it, as a reviewer would
label a lead file; a wrong answer is a vocabulary bug, never a label to change. The
choices that needed a rule (CTO is engineering, Account Manager an individual, ...) are
written in `leadkit/data/job_titles.yaml` under "Labelling choices".

The vocabulary was written with the first rows in view, so they measure little. The rows
under "labelled blind" and "a second blind batch" were labelled after it, then run once
before any change: the first blind batch scored level 1.000 and function 0.958 (71 titles;
misses: a spelled-out "Chief Operating Officer", Italian "amministrativo", 経営企画), the
second level 0.984 and function 0.937 (63 titles; misses: RevOps, Datenschutzbeauftragter,
gestionnaire, Asistente Ejecutiva, Gerente de Contas). Those misses were fixed in the data,
not in the labels. Those first-pass figures are the fairer estimate for unseen titles.

`python -m tests.test_job_title` prints the accuracy table per language.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from leadkit.normalizers import job_title
from leadkit.normalizers.job_title import (
    FUNCTIONS,
    LEVELS,
    _build,
    _Spec,
    classify_title,
    classify_titles,
)

Label = tuple[str, str, str | None, str | None]  # language, title, level, function

LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "ja": "Japanese",
}

LABELS: list[Label] = [
    # --- English -------------------------------------------------------------------------
    ("en", "CEO", "executive", "executive"),
    ("en", "Chief Executive Officer", "executive", "executive"),
    ("en", "C.E.O.", "executive", "executive"),
    ("en", "CMO", "executive", "marketing"),
    ("en", "Chief Marketing Officer", "executive", "marketing"),
    ("en", "CTO", "executive", "engineering"),
    ("en", "Chief Technology Officer", "executive", "engineering"),
    ("en", "CFO", "executive", "finance"),
    ("en", "Chief Financial Officer", "executive", "finance"),
    ("en", "COO", "executive", "operations"),
    ("en", "CIO", "executive", "it"),
    ("en", "Chief Information Security Officer", "executive", "it"),
    ("en", "CHRO", "executive", "hr"),
    ("en", "Chief People Officer", "executive", "hr"),
    ("en", "Chief Revenue Officer", "executive", "sales"),
    ("en", "General Counsel", "executive", "legal"),
    ("en", "President", "executive", "executive"),
    ("en", "President & CEO", "executive", "executive"),
    ("en", "Founder", "executive", "executive"),
    ("en", "Co-Founder & CTO", "executive", "engineering"),
    ("en", "Co-founder", "executive", "executive"),
    ("en", "Owner", "executive", "executive"),
    ("en", "OWNER", "executive", "executive"),
    ("en", "Business Owner", "executive", "executive"),
    ("en", "CEO / Founder", "executive", "executive"),
    ("en", "Managing Director", "executive", "executive"),
    ("en", "Managing Partner", "executive", "executive"),
    ("en", "Partner", "executive", "executive"),
    ("en", "Chairman of the Board", "executive", "executive"),
    ("en", "Board Member", "executive", "executive"),
    ("en", "Executive Director", "executive", "executive"),
    ("en", "General Manager", "executive", "executive"),
    ("en", "Vice President", "vp", None),
    ("en", "Executive Vice President", "vp", None),
    ("en", "Vice President of Marketing", "vp", "marketing"),
    ("en", "VP Sales", "vp", "sales"),
    ("en", "VICE PRESIDENT, SALES", "vp", "sales"),
    ("en", "VP, Engineering", "vp", "engineering"),
    ("en", "V.P. Human Resources", "vp", "hr"),
    ("en", "SVP Finance", "vp", "finance"),
    ("en", "EVP, Global Operations", "vp", "operations"),
    ("en", "Senior Vice President, IT", "vp", "it"),
    ("en", "Vice-President Legal Affairs", "vp", "legal"),
    ("en", "Assistant Vice President, Marketing", "vp", "marketing"),
    ("en", "Director", "director", None),
    ("en", "Director of Marketing", "director", "marketing"),
    ("en", "Director, Marketing", "director", "marketing"),
    ("en", "Marketing - Director", "director", "marketing"),
    ("en", "Director – Marketing", "director", "marketing"),
    ("en", "Marketing Director", "director", "marketing"),
    ("en", "Sr. Director, Demand Generation", "director", "marketing"),
    ("en", "Sr Dir. Product Marketing", "director", "marketing"),
    ("en", "Associate Director, Finance", "director", "finance"),
    ("en", "Director of IT", "director", "it"),
    ("en", "IT Director", "director", "it"),
    ("en", "Engineering Director", "director", "engineering"),
    ("en", "Director of Talent Acquisition", "director", "hr"),
    ("en", "director of sales & marketing", "director", "sales"),
    ("en", "Director, Sales Operations", "director", "sales"),
    ("en", "Regional Sales Director", "director", "sales"),
    ("en", "Director of Finance and Administration", "director", "finance"),
    ("en", "Head of Sales", "director", "sales"),
    ("en", "head of marketing", "director", "marketing"),
    ("en", "Head of Growth", "director", "marketing"),
    ("en", "Head of Legal", "director", "legal"),
    ("en", "Head of People", "director", "hr"),
    ("en", "Head of Engineering", "director", "engineering"),
    ("en", "Head of IT & Security", "director", "it"),
    ("en", "Dean of Students", "director", "education"),
    ("en", "Sales Manager", "manager", "sales"),
    ("en", "Marketing Manager", "manager", "marketing"),
    ("en", "Mgr, Marketing Operations", "manager", "marketing"),
    ("en", "Sr. Mgr, Field Marketing", "manager", "marketing"),
    ("en", "Senior Manager, Sales Operations", "manager", "sales"),
    ("en", "Product Marketing Manager", "manager", "marketing"),
    ("en", "Event Manager", "manager", "marketing"),
    ("en", "Social Media Manager", "manager", "marketing"),
    ("en", "PR Manager", "manager", "marketing"),
    ("en", "Engineering Manager", "manager", "engineering"),
    ("en", "IT Manager", "manager", "it"),
    ("en", "HR Manager", "manager", "hr"),
    ("en", "Finance Manager", "manager", "finance"),
    ("en", "Operations Manager", "manager", "operations"),
    ("en", "Procurement Manager", "manager", "operations"),
    ("en", "Plant Manager", "manager", "operations"),
    ("en", "Office Manager", "manager", "operations"),
    ("en", "Project Manager", "manager", None),
    ("en", "Product Manager", "manager", "other"),
    ("en", "Team Lead", "manager", None),
    ("en", "Team Leader, Customer Support", "manager", "operations"),
    ("en", "Sales Team Lead", "manager", "sales"),
    ("en", "Engineering Lead", "manager", "engineering"),
    ("en", "Tech Lead", "manager", "engineering"),
    ("en", "Supervisor, Accounts Payable", "manager", "finance"),
    ("en", "Assistant Manager", "manager", None),
    ("en", "Software Engineer", "individual", "engineering"),
    ("en", "Senior Software Engineer", "individual", "engineering"),
    ("en", "Lead Engineer", "individual", "engineering"),
    ("en", "Lead Developer", "individual", "engineering"),
    ("en", "Full Stack Developer", "individual", "engineering"),
    ("en", "DevOps Engineer", "individual", "engineering"),
    ("en", "Data Engineer", "individual", "engineering"),
    ("en", "QA Engineer", "individual", "engineering"),
    ("en", "Solutions Architect", "individual", "engineering"),
    ("en", "Network Engineer", "individual", "it"),
    ("en", "Systems Administrator", "individual", "it"),
    ("en", "IT Support Specialist", "individual", "it"),
    ("en", "Security Analyst", "individual", "it"),
    ("en", "Sales Engineer", "individual", "sales"),
    ("en", "Account Executive", "individual", "sales"),
    ("en", "Account Manager", "individual", "sales"),
    ("en", "Key Account Manager", "individual", "sales"),
    ("en", "Sales Development Representative", "individual", "sales"),
    ("en", "SDR", "individual", "sales"),
    ("en", "Business Development Representative", "individual", "sales"),
    ("en", "Inside Sales Rep", "individual", "sales"),
    ("en", "Sales Associate", "individual", "sales"),
    ("en", "Associate", "individual", None),
    ("en", "Marketing Coordinator", "individual", "marketing"),
    ("en", "Marketing Specialist", "individual", "marketing"),
    ("en", "Digital Marketing Executive", "individual", "marketing"),
    ("en", "Content Marketing Associate", "individual", "marketing"),
    ("en", "Lead Generation Specialist", "individual", "marketing"),
    ("en", "Communications Officer", "individual", "marketing"),
    ("en", "Financial Analyst", "individual", "finance"),
    ("en", "Accountant", "individual", "finance"),
    ("en", "Recruiter", "individual", "hr"),
    ("en", "Talent Acquisition Specialist", "individual", "hr"),
    ("en", "HR Business Partner", "individual", "hr"),
    ("en", "Paralegal", "individual", "legal"),
    ("en", "Corporate Counsel", "individual", "legal"),
    ("en", "Legal Counsel", "individual", "legal"),
    ("en", "Attorney", "individual", "legal"),
    ("en", "Compliance Officer", "individual", "legal"),
    ("en", "Buyer", "individual", "operations"),
    ("en", "Logistics Coordinator", "individual", "operations"),
    ("en", "Customer Service Representative", "individual", "operations"),
    ("en", "Administrative Assistant", "individual", "operations"),
    ("en", "Executive Assistant", "individual", "executive"),
    ("en", "Executive Assistant to the CEO", "individual", "executive"),
    ("en", "Assistant to the CEO", "individual", "executive"),
    ("en", "Assistant to the CFO", "individual", "finance"),
    ("en", "Asst. to the VP of Sales", "individual", "sales"),
    ("en", "Marketing Assistant", "individual", "marketing"),
    ("en", "Product Owner", "individual", "other"),
    ("en", "UX Designer", "individual", "other"),
    ("en", "Graphic Designer", "individual", "other"),
    ("en", "Research Scientist", "individual", "other"),
    ("en", "Teacher", "individual", "education"),
    ("en", "Professor of Computer Science", "individual", "education"),
    ("en", "Assistant Professor", "individual", "education"),
    ("en", "Associate Professor", "individual", "education"),
    ("en", "Lecturer", "individual", "education"),
    ("en", "Student", "student", "education"),
    ("en", "MBA Student", "student", "education"),
    ("en", "PhD Candidate", "student", "education"),
    ("en", "Marketing Intern", "student", "marketing"),
    ("en", "Software Engineering Intern", "student", "engineering"),
    ("en", "Summer Intern", "student", None),
    ("en", "Graduate Trainee", "student", None),
    ("en", "Consultant", None, None),
    ("en", "Senior Consultant", None, None),
    ("en", "IT Consultant", None, "it"),
    ("en", "Team", None, None),
    ("en", "Advisor", None, None),
    # English, labelled blind after the vocabulary was first written (see module doc)
    ("en", "Chief Operating Officer", "executive", "operations"),
    ("en", "Founder and Managing Director", "executive", "executive"),
    ("en", "VP of Product Marketing", "vp", "marketing"),
    ("en", "Senior Director of Engineering", "director", "engineering"),
    ("en", "Director, Information Security", "director", "it"),
    ("en", "Head of Customer Success", "director", "sales"),
    ("en", "Head of Finance & Operations", "director", "finance"),
    ("en", "Senior Marketing Manager", "manager", "marketing"),
    ("en", "Manager, Talent Acquisition", "manager", "hr"),
    ("en", "IT Operations Manager", "manager", "it"),
    ("en", "Accounting Manager", "manager", "finance"),
    ("en", "Frontend Developer", "individual", "engineering"),
    ("en", "Machine Learning Engineer", "individual", "engineering"),
    ("en", "Business Development Manager", "manager", "sales"),
    ("en", "Senior Accountant", "individual", "finance"),
    ("en", "HR Generalist", None, "hr"),
    ("en", "Legal Assistant", "individual", "legal"),
    ("en", "Sales Intern", "student", "sales"),
    ("en", "Marketing & Communications Director", "director", "marketing"),
    ("en", "Regional Vice President Sales EMEA", "vp", "sales"),
    ("en", "Purchasing Agent", "individual", "operations"),
    ("en", "Sr. Software Dev", "individual", "engineering"),
    ("en", "Dir. of HR", "director", "hr"),
    ("en", "Co-Owner", "executive", "executive"),
    ("en", "Network Administrator", "individual", "it"),
    # English, a second blind batch
    ("en", "Sr. VP, Global Sales & Partnerships", "vp", "sales"),
    ("en", "Director of Demand Gen", "director", "marketing"),
    ("en", "Head of RevOps", "director", "sales"),
    ("en", "Marketing Ops Specialist", "individual", "marketing"),
    ("en", "Principal Software Engineer", "individual", "engineering"),
    ("en", "Staff Accountant", "individual", "finance"),
    ("en", "Cloud Infrastructure Engineer", "individual", "it"),
    ("en", "Chief Executive", "executive", "executive"),
    ("en", "Group CFO", "executive", "finance"),
    ("en", "Deputy Director, Human Resources", "director", "hr"),
    ("en", "Manager - IT Infrastructure", "manager", "it"),
    ("en", "Brand Manager", "manager", "marketing"),
    ("en", "Channel Sales Manager", "manager", "sales"),
    ("en", "Customer Support Specialist", "individual", "operations"),
    ("en", "Contracts Manager", "manager", "legal"),
    ("en", "Payroll Manager", "manager", None),
    ("en", "Supply Chain Analyst", "individual", "operations"),
    ("en", "Senior Recruiter", "individual", "hr"),
    ("en", "Executive Director, Marketing", "executive", "marketing"),
    ("en", "Graduate Student", "student", "education"),
    ("en", "Intern - Finance", "student", "finance"),
    ("en", "Self-employed", None, None),
    ("en", "Manager, Office of the CEO", "manager", "executive"),
    ("en", "Director of Product", "director", "other"),
    ("en", "Sales Director EMEA / Country Manager Germany", "director", "sales"),
    ("en", "Vice President & General Counsel", "executive", "legal"),
    # --- German --------------------------------------------------------------------------
    ("de", "Geschäftsführer", "executive", "executive"),
    ("de", "Geschaeftsfuehrer", "executive", "executive"),
    ("de", "Geschäftsführerin", "executive", "executive"),
    ("de", "GF", "executive", "executive"),
    ("de", "Geschäftsführender Gesellschafter", "executive", "executive"),
    ("de", "Inhaber", "executive", "executive"),
    ("de", "Inhaberin", "executive", "executive"),
    ("de", "Gründer & CEO", "executive", "executive"),
    ("de", "Mitgründer", "executive", "executive"),
    ("de", "Vorstand", "executive", "executive"),
    ("de", "Vorstandsvorsitzender", "executive", "executive"),
    ("de", "Vorstand Vertrieb", "executive", "sales"),
    ("de", "Mitglied der Geschäftsführung", "executive", "executive"),
    ("de", "Vizepräsident Vertrieb", "vp", "sales"),
    ("de", "Direktor Vertrieb", "director", "sales"),
    ("de", "Leiter Marketing", "director", "marketing"),
    ("de", "Marketingleiter", "director", "marketing"),
    ("de", "Vertriebsleiter", "director", "sales"),
    ("de", "Leiterin Personal", "director", "hr"),
    ("de", "Personalleiterin", "director", "hr"),
    ("de", "IT-Leiter", "director", "it"),
    ("de", "Leiter Rechtsabteilung", "director", "legal"),
    ("de", "Leiter Controlling", "director", "finance"),
    ("de", "Abteilungsleiter Einkauf", "director", "operations"),
    ("de", "Bereichsleiter Finanzen", "director", "finance"),
    ("de", "Head of Marketing DACH", "director", "marketing"),
    ("de", "Teamleiter Vertrieb Innendienst", "manager", "sales"),
    ("de", "Gruppenleiter Softwareentwicklung", "manager", "engineering"),
    ("de", "Projektleiter", "manager", None),
    ("de", "Marketing Manager", "manager", "marketing"),
    ("de", "Key Account Manager", "individual", "sales"),
    ("de", "Vertriebsmitarbeiter", "individual", "sales"),
    ("de", "Mitarbeiter Buchhaltung", "individual", "finance"),
    ("de", "Sachbearbeiterin Personalabteilung", "individual", "hr"),
    ("de", "Softwareentwickler", "individual", "engineering"),
    ("de", "Ingenieur", "individual", "engineering"),
    ("de", "Systemadministrator", "individual", "it"),
    ("de", "Marketingreferentin", "individual", "marketing"),
    ("de", "Referent Öffentlichkeitsarbeit", "individual", "marketing"),
    ("de", "Controller", "individual", "finance"),
    ("de", "Einkäufer", "individual", "operations"),
    ("de", "Rechtsanwalt", "individual", "legal"),
    ("de", "Lehrerin", "individual", "education"),
    ("de", "Professor für Informatik", "individual", "education"),
    ("de", "Assistentin der Geschäftsführung", "individual", "executive"),
    ("de", "Assistenz der Geschäftsführung", "individual", "executive"),
    ("de", "Werkstudent Marketing", "student", "marketing"),
    ("de", "Praktikant", "student", None),
    ("de", "Auszubildende", "student", None),
    ("de", "Student", "student", "education"),
    ("de", "Berater", None, None),
    # German, labelled blind after the vocabulary was first written (see module doc)
    ("de", "Leiterin Unternehmenskommunikation", "director", "marketing"),
    ("de", "Kaufmännischer Geschäftsführer", "executive", "executive"),
    ("de", "Vertriebsingenieur", "individual", "sales"),
    ("de", "Personalreferentin", "individual", "hr"),
    ("de", "Leiter IT", "director", "it"),
    ("de", "Buchhalterin", "individual", "finance"),
    ("de", "Marketing-Assistentin", "individual", "marketing"),
    ("de", "Teamleiterin Buchhaltung", "manager", "finance"),
    ("de", "Entwicklungsingenieur", "individual", "engineering"),
    # German, a second blind batch
    ("de", "Geschäftsführerin / Inhaberin", "executive", "executive"),
    ("de", "Leitung Vertrieb & Marketing", "director", "sales"),
    ("de", "Abteilungsleiterin Personal", "director", "hr"),
    ("de", "Senior Vertriebsmanager", "manager", "sales"),
    ("de", "Sachbearbeiter Einkauf", "individual", "operations"),
    ("de", "Datenschutzbeauftragter", None, "legal"),
    ("de", "IT-Systemadministrator", "individual", "it"),
    ("de", "Wissenschaftlicher Mitarbeiter", "individual", None),
    # --- French --------------------------------------------------------------------------
    ("fr", "PDG", "executive", "executive"),
    ("fr", "Président-directeur général", "executive", "executive"),
    ("fr", "Directeur général", "executive", "executive"),
    ("fr", "DIRECTEUR GENERAL", "executive", "executive"),
    ("fr", "Directrice Générale", "executive", "executive"),
    ("fr", "DG", "executive", "executive"),
    ("fr", "Gérant", "executive", "executive"),
    ("fr", "Fondateur", "executive", "executive"),
    ("fr", "Co-fondatrice", "executive", "executive"),
    ("fr", "Président", "executive", "executive"),
    ("fr", "Vice-président Ventes", "vp", "sales"),
    ("fr", "Directeur commercial", "director", "sales"),
    ("fr", "Directrice Marketing", "director", "marketing"),
    ("fr", "Directeur des ressources humaines", "director", "hr"),
    ("fr", "DRH", "director", "hr"),
    ("fr", "Directeur des systèmes d'information", "director", "it"),
    ("fr", "DSI", "director", "it"),
    ("fr", "Directeur administratif et financier", "director", "finance"),
    ("fr", "Directeur juridique", "director", "legal"),
    ("fr", "Directeur technique", "director", "engineering"),
    ("fr", "Responsable marketing", "manager", "marketing"),
    ("fr", "Responsable RH", "manager", "hr"),
    ("fr", "Responsable logistique", "manager", "operations"),
    ("fr", "Chef de projet", "manager", None),
    ("fr", "Chef des ventes", "manager", "sales"),
    ("fr", "Chef d'équipe", "manager", None),
    ("fr", "Ingénieur commercial", "individual", "sales"),
    ("fr", "Ingénieur logiciel", "individual", "engineering"),
    ("fr", "Développeur", "individual", "engineering"),
    ("fr", "Chargée de communication", "individual", "marketing"),
    ("fr", "Chargé d'affaires", "individual", "sales"),
    ("fr", "Comptable", "individual", "finance"),
    ("fr", "Contrôleur de gestion", "individual", "finance"),
    ("fr", "Juriste", "individual", "legal"),
    ("fr", "Acheteur", "individual", "operations"),
    ("fr", "Technicien informatique", "individual", "it"),
    ("fr", "Enseignant", "individual", "education"),
    ("fr", "Assistante de direction", "individual", "executive"),
    ("fr", "Assistante commerciale", "individual", "sales"),
    ("fr", "Stagiaire marketing", "student", "marketing"),
    ("fr", "Étudiant", "student", "education"),
    ("fr", "Alternante RH", "student", "hr"),
    ("fr", "Consultant", None, None),
    # French, labelled blind after the vocabulary was first written (see module doc)
    ("fr", "Directrice des ventes", "director", "sales"),
    ("fr", "Responsable des achats", "manager", "operations"),
    ("fr", "Chef de produit marketing", "manager", "marketing"),
    ("fr", "Commercial sédentaire", None, "sales"),
    ("fr", "Responsable informatique", "manager", "it"),
    ("fr", "Avocate", "individual", "legal"),
    ("fr", "Directeur de la communication", "director", "marketing"),
    ("fr", "Assistant RH", "individual", "hr"),
    # French, a second blind batch
    ("fr", "Directeur Général Délégué", "executive", "executive"),
    ("fr", "Responsable Communication & Événements", "manager", "marketing"),
    ("fr", "Chef de Projet Informatique", "manager", "it"),
    ("fr", "Directrice Financière", "director", "finance"),
    ("fr", "Ingénieure R&D", "individual", "engineering"),
    ("fr", "Gestionnaire de paie", "individual", None),
    # --- Spanish -------------------------------------------------------------------------
    ("es", "Director General", "executive", "executive"),
    ("es", "Directora General", "executive", "executive"),
    ("es", "Consejero Delegado", "executive", "executive"),
    ("es", "Director Ejecutivo", "executive", "executive"),
    ("es", "Gerente General", "executive", "executive"),
    ("es", "Presidente", "executive", "executive"),
    ("es", "Fundador y CEO", "executive", "executive"),
    ("es", "Cofundadora", "executive", "executive"),
    ("es", "Propietario", "executive", "executive"),
    ("es", "Socio Director", "executive", "executive"),
    ("es", "Vicepresidente de Ventas", "vp", "sales"),
    ("es", "Director Comercial", "director", "sales"),
    ("es", "Directora de Marketing", "director", "marketing"),
    ("es", "Director de Recursos Humanos", "director", "hr"),
    ("es", "Director Financiero", "director", "finance"),
    ("es", "Director de Tecnología", "director", "it"),
    ("es", "Subdirector de Operaciones", "director", "operations"),
    ("es", "Gerente de Ventas", "manager", "sales"),
    ("es", "Gerente de Marketing", "manager", "marketing"),
    ("es", "Jefe de Compras", "manager", "operations"),
    ("es", "Jefa de Recursos Humanos", "manager", "hr"),
    ("es", "Responsable de Sistemas", "manager", "it"),
    ("es", "Coordinador de Ventas", "manager", "sales"),
    ("es", "Jefe de Equipo", "manager", None),
    ("es", "Ejecutivo de Cuentas", "individual", "sales"),
    ("es", "Ejecutiva Comercial", "individual", "sales"),
    ("es", "Vendedor", "individual", "sales"),
    ("es", "Analista Financiero", "individual", "finance"),
    ("es", "Contador", "individual", "finance"),
    ("es", "Abogada", "individual", "legal"),
    ("es", "Ingeniero de Software", "individual", "engineering"),
    ("es", "Desarrollador Web", "individual", "engineering"),
    ("es", "Técnico de Soporte Informático", "individual", "it"),
    ("es", "Reclutadora", "individual", "hr"),
    ("es", "Profesora", "individual", "education"),
    ("es", "Asistente de Dirección", "individual", "executive"),
    ("es", "Asistente de Marketing", "individual", "marketing"),
    ("es", "Becario de Marketing", "student", "marketing"),
    ("es", "Estudiante", "student", "education"),
    ("es", "Asesor", None, None),
    # Spanish, labelled blind after the vocabulary was first written (see module doc)
    ("es", "Gerente de Recursos Humanos", "manager", "hr"),
    ("es", "Jefe de Ventas", "manager", "sales"),
    ("es", "Directora de Comunicación", "director", "marketing"),
    ("es", "Analista de Sistemas", "individual", "it"),
    ("es", "Contadora General", "individual", "finance"),
    ("es", "Practicante de Recursos Humanos", "student", "hr"),
    # Spanish, a second blind batch
    ("es", "Director de Sistemas", "director", "it"),
    ("es", "Jefa de Contabilidad", "manager", "finance"),
    ("es", "Gerente de Desarrollo de Negocio", "manager", "sales"),
    ("es", "Asistente Ejecutiva", "individual", "executive"),
    ("es", "Ingeniera de Ventas", "individual", "sales"),
    # --- Portuguese ----------------------------------------------------------------------
    ("pt", "Diretor Geral", "executive", "executive"),
    ("pt", "Diretor-Presidente", "executive", "executive"),
    ("pt", "Diretora Executiva", "executive", "executive"),
    ("pt", "Sócio-fundador", "executive", "executive"),
    ("pt", "Sócio Diretor", "executive", "executive"),
    ("pt", "Proprietário", "executive", "executive"),
    ("pt", "Fundadora", "executive", "executive"),
    ("pt", "Presidente", "executive", "executive"),
    ("pt", "Vice-Presidente de Vendas", "vp", "sales"),
    ("pt", "Diretor Comercial", "director", "sales"),
    ("pt", "Diretora de Marketing", "director", "marketing"),
    ("pt", "Diretor de TI", "director", "it"),
    ("pt", "Diretor Financeiro", "director", "finance"),
    ("pt", "Diretora de Recursos Humanos", "director", "hr"),
    ("pt", "Diretor Jurídico", "director", "legal"),
    ("pt", "Gerente de Vendas", "manager", "sales"),
    ("pt", "Gerente de Marketing", "manager", "marketing"),
    ("pt", "Gerente de RH", "manager", "hr"),
    ("pt", "Gerente de Operações", "manager", "operations"),
    ("pt", "Coordenador de Marketing", "manager", "marketing"),
    ("pt", "Coordenadora de TI", "manager", "it"),
    ("pt", "Supervisor de Vendas", "manager", "sales"),
    ("pt", "Analista de Marketing", "individual", "marketing"),
    ("pt", "Analista Financeiro", "individual", "finance"),
    ("pt", "Executivo de Contas", "individual", "sales"),
    ("pt", "Vendedora", "individual", "sales"),
    ("pt", "Engenheiro de Software", "individual", "engineering"),
    ("pt", "Desenvolvedor Front-end", "individual", "engineering"),
    ("pt", "Advogada", "individual", "legal"),
    ("pt", "Contador", "individual", "finance"),
    ("pt", "Comprador", "individual", "operations"),
    ("pt", "Assistente Administrativo", "individual", "operations"),
    ("pt", "Secretária Executiva", "individual", "executive"),
    ("pt", "Professor", "individual", "education"),
    ("pt", "Estagiário de Vendas", "student", "sales"),
    ("pt", "Estagiária", "student", None),
    ("pt", "Estudante", "student", "education"),
    ("pt", "Consultor", None, None),
    # Portuguese, labelled blind after the vocabulary was first written (see module doc)
    ("pt", "Gerente Comercial", "manager", "sales"),
    ("pt", "Diretor de Operações", "director", "operations"),
    ("pt", "Analista de RH", "individual", "hr"),
    ("pt", "Desenvolvedora Backend", "individual", "engineering"),
    ("pt", "Coordenador Financeiro", "manager", "finance"),
    ("pt", "Estagiária de Marketing", "student", "marketing"),
    # Portuguese, a second blind batch
    ("pt", "Diretor de Recursos Humanos", "director", "hr"),
    ("pt", "Gerente de Contas", "manager", "sales"),
    ("pt", "Analista de Sistemas Sênior", "individual", "it"),
    ("pt", "Sócia-proprietária", "executive", "executive"),
    # --- Italian -------------------------------------------------------------------------
    ("it", "Amministratore Delegato", "executive", "executive"),
    ("it", "Amministratore Unico", "executive", "executive"),
    ("it", "Direttore Generale", "executive", "executive"),
    ("it", "Presidente", "executive", "executive"),
    ("it", "Titolare", "executive", "executive"),
    ("it", "Fondatore", "executive", "executive"),
    ("it", "Co-fondatrice e CTO", "executive", "engineering"),
    ("it", "Socio", "executive", "executive"),
    ("it", "Vicepresidente", "vp", None),
    ("it", "Direttore Commerciale", "director", "sales"),
    ("it", "Direttrice Marketing", "director", "marketing"),
    ("it", "Direttore Tecnico", "director", "engineering"),
    ("it", "Direttore Risorse Umane", "director", "hr"),
    ("it", "Direttore Amministrazione e Finanza", "director", "finance"),
    ("it", "Responsabile Marketing", "manager", "marketing"),
    ("it", "Responsabile Ufficio Acquisti", "manager", "operations"),
    ("it", "Responsabile IT", "manager", "it"),
    ("it", "Responsabile Ufficio Legale", "manager", "legal"),
    ("it", "Responsabile Risorse Umane", "manager", "hr"),
    ("it", "Capo Ufficio Vendite", "manager", "sales"),
    ("it", "Coordinatore Logistica", "manager", "operations"),
    ("it", "Sales Manager", "manager", "sales"),
    ("it", "Impiegata Commerciale", "individual", "sales"),
    ("it", "Addetta Marketing", "individual", "marketing"),
    ("it", "Agente di Commercio", "individual", "sales"),
    ("it", "Sviluppatore Software", "individual", "engineering"),
    ("it", "Ingegnere Meccanico", "individual", "engineering"),
    ("it", "Contabile", "individual", "finance"),
    ("it", "Avvocato", "individual", "legal"),
    ("it", "Sistemista", "individual", "it"),
    ("it", "Docente", "individual", "education"),
    ("it", "Assistente di Direzione", "individual", "executive"),
    ("it", "Stagista Marketing", "student", "marketing"),
    ("it", "Tirocinante", "student", None),
    ("it", "Studentessa", "student", "education"),
    ("it", "Consulente", None, None),
    # Italian, labelled blind after the vocabulary was first written (see module doc)
    ("it", "Responsabile Commerciale", "manager", "sales"),
    ("it", "Direttore Marketing", "director", "marketing"),
    ("it", "Impiegato Amministrativo", "individual", "finance"),
    ("it", "Responsabile Produzione", "manager", "operations"),
    ("it", "Ingegnere del Software", "individual", "engineering"),
    # Italian, a second blind batch
    ("it", "Responsabile Amministrativo", "manager", "finance"),
    ("it", "Direttore Vendite Italia", "director", "sales"),
    ("it", "Capo Progetto", "manager", None),
    ("it", "Addetto Ufficio Acquisti", "individual", "operations"),
    # --- Dutch ---------------------------------------------------------------------------
    ("nl", "Algemeen Directeur", "executive", "executive"),
    ("nl", "Directeur-eigenaar", "executive", "executive"),
    ("nl", "Eigenaar", "executive", "executive"),
    ("nl", "Oprichter", "executive", "executive"),
    ("nl", "Mede-oprichter", "executive", "executive"),
    ("nl", "DGA", "executive", "executive"),
    ("nl", "Bestuurder", "executive", "executive"),
    ("nl", "Zaakvoerder", "executive", "executive"),
    ("nl", "Directeur", "director", None),
    ("nl", "Commercieel Directeur", "director", "sales"),
    ("nl", "Financieel Directeur", "director", "finance"),
    ("nl", "Directeur Marketing", "director", "marketing"),
    ("nl", "Hoofd Marketing", "director", "marketing"),
    ("nl", "Hoofd ICT", "director", "it"),
    ("nl", "Afdelingshoofd Inkoop", "director", "operations"),
    ("nl", "Salesmanager", "manager", "sales"),
    ("nl", "Marketingmanager", "manager", "marketing"),
    ("nl", "HR Manager", "manager", "hr"),
    ("nl", "Teamleider Klantenservice", "manager", "operations"),
    ("nl", "Projectleider", "manager", None),
    ("nl", "Accountmanager", "individual", "sales"),
    ("nl", "Verkoper", "individual", "sales"),
    ("nl", "Medewerker Verkoop Binnendienst", "individual", "sales"),
    ("nl", "Marketingmedewerker", "individual", "marketing"),
    ("nl", "Softwareontwikkelaar", "individual", "engineering"),
    ("nl", "Boekhouder", "individual", "finance"),
    ("nl", "Bedrijfsjurist", "individual", "legal"),
    ("nl", "Systeembeheerder", "individual", "it"),
    ("nl", "Inkoper", "individual", "operations"),
    ("nl", "Recruiter", "individual", "hr"),
    ("nl", "Docent", "individual", "education"),
    ("nl", "Managementassistente", "individual", "executive"),
    ("nl", "Stagiair Marketing", "student", "marketing"),
    ("nl", "Student", "student", "education"),
    ("nl", "Adviseur", None, None),
    # Dutch, labelled blind after the vocabulary was first written (see module doc)
    ("nl", "Manager Financiën", "manager", "finance"),
    ("nl", "Directeur Operations", "director", "operations"),
    ("nl", "Medewerker Klantenservice", "individual", "operations"),
    ("nl", "HR-adviseur", None, "hr"),
    ("nl", "Hoofd Verkoop", "director", "sales"),
    # Dutch, a second blind batch
    ("nl", "Manager Verkoop Binnendienst", "manager", "sales"),
    ("nl", "Hoofd Financiële Administratie", "director", "finance"),
    ("nl", "Directiesecretaresse", "individual", "executive"),
    ("nl", "Technisch Directeur", "director", "engineering"),
    # --- Japanese ------------------------------------------------------------------------
    ("ja", "代表取締役社長", "executive", "executive"),
    ("ja", "代表取締役", "executive", "executive"),
    ("ja", "取締役", "executive", "executive"),
    ("ja", "取締役CTO", "executive", "engineering"),
    ("ja", "常務取締役", "executive", "executive"),
    ("ja", "社長", "executive", "executive"),
    ("ja", "会長", "executive", "executive"),
    ("ja", "創業者", "executive", "executive"),
    ("ja", "ＣＥＯ", "executive", "executive"),
    ("ja", "副社長", "vp", "executive"),
    ("ja", "執行役員", "vp", None),
    ("ja", "営業本部長", "vp", "sales"),
    ("ja", "営業部長", "director", "sales"),
    ("ja", "マーケティング部 部長", "director", "marketing"),
    ("ja", "人事部長", "director", "hr"),
    ("ja", "情報システム部長", "director", "it"),
    ("ja", "経理部長", "director", "finance"),
    ("ja", "法務部長", "director", "legal"),
    ("ja", "部長", "director", None),
    ("ja", "技術部 次長", "director", "engineering"),
    ("ja", "営業課長", "manager", "sales"),
    ("ja", "総務課長", "manager", "operations"),
    ("ja", "人事課 係長", "manager", "hr"),
    ("ja", "マーケティングマネージャー", "manager", "marketing"),
    ("ja", "開発リーダー", "manager", "engineering"),
    ("ja", "営業部 Sales Manager", "manager", "sales"),
    ("ja", "営業担当", "individual", "sales"),
    ("ja", "経理担当", "individual", "finance"),
    ("ja", "広報担当", "individual", "marketing"),
    ("ja", "ソフトウェアエンジニア", "individual", "engineering"),
    ("ja", "システムエンジニア", "individual", "it"),
    ("ja", "主任", "individual", None),
    ("ja", "社長秘書", "individual", "executive"),
    ("ja", "営業アシスタント", "individual", "sales"),
    ("ja", "教授", "individual", "education"),
    ("ja", "学生", "student", "education"),
    ("ja", "大学院生", "student", "education"),
    ("ja", "インターン", "student", None),
    ("ja", "顧問", None, None),
    # Japanese, labelled blind after the vocabulary was first written (see module doc)
    ("ja", "代表取締役CEO", "executive", "executive"),
    ("ja", "営業部 課長", "manager", "sales"),
    ("ja", "経営企画部長", "director", "executive"),
    ("ja", "マーケティング担当", "individual", "marketing"),
    ("ja", "システム部 エンジニア", "individual", "it"),
    ("ja", "専務取締役", "executive", "executive"),
    ("ja", "人事担当者", "individual", "hr"),
    # Japanese, a second blind batch
    ("ja", "代表取締役会長", "executive", "executive"),
    ("ja", "営業企画課 課長代理", "manager", "sales"),
    ("ja", "人事部 採用担当", "individual", "hr"),
    ("ja", "情報システム部 部長代理", "director", "it"),
    ("ja", "開発部 マネージャー", "manager", "engineering"),
    ("ja", "経理財務部長", "director", "finance"),
]

# The cases issue 18 names, exact: each must hold whatever the overall accuracy.
RULES: list[tuple[str, str | None, str | None]] = [
    # abbreviations
    ("CMO", "executive", "marketing"),
    ("SVP Finance", "vp", "finance"),
    ("Sr. Mgr, Field Marketing", "manager", "marketing"),
    ("Dir. Sales", "director", "sales"),
    ("GF", "executive", "executive"),
    ("PDG", "executive", "executive"),
    ("DG", "executive", "executive"),
    ("部長", "director", None),
    ("課長", "manager", None),
    ("取締役", "executive", "executive"),
    ("代表取締役", "executive", "executive"),
    # inverted forms: the level and the function are read wherever they stand
    ("Director, Marketing", "director", "marketing"),
    ("Marketing - Director", "director", "marketing"),
    ("Marketing Director", "director", "marketing"),
    ("Director of Marketing", "director", "marketing"),
    # Head of, Lead
    ("Head of Marketing", "director", "marketing"),
    ("Marketing Head", "director", "marketing"),
    ("Team Lead", "manager", None),
    ("Lead Engineer", "individual", "engineering"),
    ("Lead Generation Specialist", "individual", "marketing"),
    # Associate
    ("Associate Director", "director", None),
    ("Associate", "individual", None),
    ("Sales Associate", "individual", "sales"),
    # Vice President vs President
    ("Vice President", "vp", None),
    ("President", "executive", "executive"),
    ("Vice-President Sales", "vp", "sales"),
    # Assistant to the ...
    ("Assistant to the CEO", "individual", "executive"),
    ("Assistant Manager", "manager", None),
    ("Assistant Vice President", "vp", None),
    ("Executive Assistant", "individual", "executive"),
    # ownership
    ("Owner", "executive", "executive"),
    ("Founder", "executive", "executive"),
    ("Co-Founder", "executive", "executive"),
    ("Geschäftsführer", "executive", "executive"),
    ("Inhaber", "executive", "executive"),
    # students and interns
    ("Student", "student", "education"),
    ("Marketing Intern", "student", "marketing"),
    ("Werkstudent Vertrieb", "student", "sales"),
    # titles that say too little
    ("Consultant", None, None),
    ("Team", None, None),
    # case, accents and punctuation
    ("DIRECTEUR GÉNÉRAL", "executive", "executive"),
    ("directeur general", "executive", "executive"),
    ("  vp   sales  ", "vp", "sales"),
    ("V.P. (Sales)", "vp", "sales"),
    ("Geschaeftsfuehrer", "executive", "executive"),
    ("ＣＥＯ", "executive", "executive"),
]


@pytest.mark.parametrize(("title", "level", "function"), RULES)
def test_rules(title: str, level: str | None, function: str | None) -> None:
    assert classify_title(title) == (level, function)


def test_table_is_large_and_well_formed() -> None:
    assert len(LABELS) >= 300
    per_language = Counter(lang for lang, *_ in LABELS)
    assert set(per_language) == set(LANGUAGES)
    assert all(n >= 25 for lang, n in per_language.items() if lang != "en"), per_language
    assert all(level is None or level in LEVELS for _, _, level, _ in LABELS)
    assert all(function is None or function in FUNCTIONS for _, _, _, function in LABELS)


def test_table_labels_agree_where_a_title_repeats() -> None:
    seen: dict[str, tuple[str | None, str | None]] = {}
    for _, title, level, function in LABELS:
        assert seen.setdefault(title, (level, function)) == (level, function), title


def accuracy(labels: list[Label] = LABELS) -> dict[str, tuple[int, float, float]]:
    """Language (and "all") -> (titles, level accuracy, function accuracy)."""
    rows: dict[str, list[tuple[bool, bool]]] = {}
    for lang, title, level, function in labels:
        got_level, got_function = classify_title(title)
        hit = (got_level == level, got_function == function)
        rows.setdefault(lang, []).append(hit)
        rows.setdefault("all", []).append(hit)
    return {
        lang: (len(hits), sum(h[0] for h in hits) / len(hits), sum(h[1] for h in hits) / len(hits))
        for lang, hits in rows.items()
    }


def accuracy_table(labels: list[Label] = LABELS) -> str:
    """The accuracy per language as a Markdown table, to quote in a note."""
    result = accuracy(labels)
    lines = ["| language | titles | level | function |", "|---|---:|---:|---:|"]
    for lang in [*LANGUAGES, "all"]:
        n, level, function = result[lang]
        name = LANGUAGES.get(lang, "overall")
        lines.append(f"| {name} | {n} | {level:.3f} | {function:.3f} |")
    return "\n".join(lines)


def misses(labels: list[Label] = LABELS) -> list[str]:
    return [
        f"{lang} {title!r}: want {(level, function)}, got {classify_title(title)}"
        for lang, title, level, function in labels
        if classify_title(title) != (level, function)
    ]


def test_accuracy() -> None:
    print("\n" + accuracy_table())  # noqa: T201 - shown with `pytest -s`
    _, level, function = accuracy()["all"]
    assert level >= 0.95, misses()
    assert function >= 0.90, misses()


def test_accuracy_counts_a_wrong_answer() -> None:
    wrong: list[Label] = [
        ("en", "CEO", "student", "legal"),
        ("en", "CEO", "executive", "executive"),
    ]
    assert accuracy(wrong)["all"] == (2, 0.5, 0.5)


# --- properties -------------------------------------------------------------------------------
def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.mark.parametrize("title", sorted({title for _, title, _, _ in LABELS}))
def test_case_accents_and_spacing_do_not_matter(title: str) -> None:
    expected = classify_title(title)
    assert classify_title(title.upper()) == expected
    assert classify_title(title.lower()) == expected
    assert classify_title(f"  {title}\t") == expected
    if title.isascii() or all(ord(c) < 0x3000 for c in title):  # no Japanese kana to decompose
        assert classify_title(_strip_accents(title)) == expected


@given(st.text(max_size=40))
def test_any_text_gives_known_values_or_none(text: str) -> None:
    level, function = classify_title(text)
    assert level is None or level in LEVELS
    assert function is None or function in FUNCTIONS


# --- the column API ----------------------------------------------------------------------------
def test_column_equals_per_value() -> None:
    titles = [title for _, title, _, _ in LABELS] + [None, "", "   ", "Team"]
    frame = classify_titles(pl.Series("title", titles, dtype=pl.String))
    assert frame.columns == ["job_level", "job_function"]
    assert frame.schema == pl.Schema({"job_level": pl.String, "job_function": pl.String})
    assert list(frame.iter_rows()) == [classify_title(t) for t in titles]


def test_nulls_and_blanks_stay_null() -> None:
    frame = classify_titles(pl.Series([None, "", "  ", "\t"], dtype=pl.String))
    assert frame.to_dict(as_series=False) == {
        "job_level": [None, None, None, None],
        "job_function": [None, None, None, None],
    }
    assert classify_title(None) == (None, None)
    assert classify_title("   ") == (None, None)


def test_empty_column() -> None:
    frame = classify_titles(pl.Series([], dtype=pl.String))
    assert frame.height == 0
    assert frame.columns == ["job_level", "job_function"]


def test_runs_once_per_distinct_title(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = job_title.classify_title

    def counting(title: str) -> tuple[str | None, str | None]:
        calls.append(title)
        return original(title)

    monkeypatch.setattr(job_title, "classify_title", counting)
    rows = ["VP Sales", "vp sales ", "CEO", None, "Ceo", "Team"] * 500
    frame = classify_titles(pl.Series(rows, dtype=pl.String))
    assert sorted(calls) == ["ceo", "team", "vp sales"]  # case and outer spaces folded first
    assert frame.height == len(rows)
    assert frame.row(0) == ("vp", "sales")
    assert frame.row(3) == (None, None)
    assert frame.row(5) == (None, None)


# --- the data file ------------------------------------------------------------------------------
MINIMAL: dict[str, Any] = {
    "abbreviations": {"mgr": "manager"},
    "stopwords": ["of"],
    "compound_parts": [],
    "neutral": [],
    "levels": {
        "student": ["student"],
        "subordinate": ["assistant"],
        "yield_to_next_level": ["assistant"],
        "regular": {"manager": ["manager"], "executive": ["部長"]},
    },
    "functions": {"sales": {"priority": 5, "terms": ["sales"]}},
}


def test_a_minimal_vocabulary_builds() -> None:
    vocab = _build(_Spec.model_validate(MINIMAL))
    assert ("manager",) in vocab.phrases
    assert "部長" in vocab.cjk
    assert vocab.abbreviations == {"mgr": ("manager",)}


@pytest.mark.parametrize(
    "change",
    [
        {"levels": {**MINIMAL["levels"], "regular": {"boss": ["boss"]}}},  # unknown level
        {"functions": {"sports": {"priority": 5, "terms": ["coach"]}}},  # unknown function
        {"functions": {"sales": {"priority": 5, "terms": ["sales"], "extra": 1}}},
        {"unknown_key": []},
    ],
)
def test_a_malformed_vocabulary_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _Spec.model_validate({**MINIMAL, **change})


@pytest.mark.parametrize(
    "change",
    [
        # one phrase, two levels
        {"levels": {**MINIMAL["levels"], "regular": {"manager": ["manager"], "vp": ["manager"]}}},
        # one phrase, two functions
        {
            "functions": {
                "sales": {"priority": 5, "terms": ["sales"]},
                "hr": {"priority": 5, "terms": ["sales"]},
            }
        },
        # a yielding word that names no level
        {"levels": {**MINIMAL["levels"], "yield_to_next_level": ["lead"]}},
    ],
)
def test_a_contradictory_vocabulary_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"job_titles\.yaml"):
        _build(_Spec.model_validate({**MINIMAL, **change}))


def test_shipped_vocabulary_loads_once() -> None:
    job_title._vocabulary.cache_clear()
    first = job_title._vocabulary()
    assert job_title._vocabulary() is first
    assert len(first.phrases) > 500
    assert len(first.cjk) > 50


if __name__ == "__main__":
    print(accuracy_table())  # noqa: T201 - the per-language table, for the issue's note
    print("\n".join(misses()))  # noqa: T201
